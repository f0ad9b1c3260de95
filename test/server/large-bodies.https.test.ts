// A burst of legal ~2.7 MB CVM pods over HTTPS (issue 13 §2): each gets a decided answer — the
// mutation, or "busy, retry" (allowed: false, 429) with the request's uid — before the webhook
// timeout the apiserver put in the URL, never a late answer or none. Which requests are busy
// depends on this machine's speed; that every answer is decided and in time does not. The server
// is the built CLI in its own process, as in a cluster (a client in the same process would share
// its event loop and slow it down twice).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureBuilt, startCliServer, type CliServer } from "../faults/built-cli.js";

const CONCURRENT = 8;
/** The chart's validating webhook timeout (charts/cvm-admission/values.yaml), the shorter one. */
const TIMEOUT_S = 3;

let server: CliServer;
let body: Buffer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cvm-large-"));
  const file = join(dir, "huge-pod.json");
  const made = spawnSync(process.execPath, ["bench/bodies/gen-bodies.mjs", "--huge", file], {
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(made.stderr);
  body = readFileSync(file);
  ensureBuilt();
  // The bench's view: the body's namespace coder-workspaces is opted in.
  server = await startCliServer({ CVM_ADMISSION_CLUSTER_SOURCE: "examples/cluster-view.yaml" });
}, 120_000);
afterAll(() => {
  server?.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function post(): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path: `/mutate?timeout=${TIMEOUT_S}s`,
        method: "POST",
        ca: server.ca,
        servername: "localhost",
        agent: false,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

it("answers every body of a burst of large CVM pods, decided and before the webhook timeout", async () => {
  expect(body.length).toBeGreaterThan(2_600_000);
  const uid = (JSON.parse(body.toString("utf8")) as { request: { uid: string } }).request.uid;
  const answers = await Promise.all(Array.from({ length: CONCURRENT }, post));
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    const { response } = JSON.parse(answer.text) as {
      response: { uid: string; allowed: boolean; patch?: string; status?: { code: number; message: string } };
    };
    expect(response.uid).toBe(uid);
    if (response.allowed) expect(response.patch).toBeTypeOf("string");
    else expect(response.status).toMatchObject({ code: 429, message: expect.stringMatching(/retry/) });
    expect(
      answer.ms,
      answers.map((a) => `${Math.round(a.ms)} ms ${a.text.includes("429") ? "busy" : "decided"}`).join(", "),
    ).toBeLessThan(TIMEOUT_S * 1000);
  }
  // At least the first of the burst is decided for real.
  expect(answers.some((a) => a.text.includes('"allowed":true'))).toBe(true);
}, 60_000);
