// SIGTERM under load (issue 7, faults; drain delay: issue 13 §2): the real `cvm-admission serve`
// process gets SIGTERM while clients keep sending reviews over keep-alive connections, as the
// apiserver does during a rollout. For server.drainDelaySeconds new connections are still
// accepted and answered while /readyz answers 503 (the endpoint is leaving the Service); then every
// request sent must either get its decided 200 answer or be refused at connect (ECONNREFUSED: the
// listener is closed); none may be reset or dropped mid-request. The process then exits 0.

import { Agent, request } from "node:https";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, expect, it } from "vitest";
import { ensureBuilt, startCliServer } from "./built-cli.js";

const CLIENTS = 8;
const DRAIN_DELAY_S = 2;
const body = readFileSync(new URL("../../bench/bodies/cvm-pod.json", import.meta.url));
const uid = (JSON.parse(body.toString("utf8")) as { request: { uid: string } }).request.uid;

type Outcome =
  { kind: "answered"; at: number } | { kind: "refused"; at: number } | { kind: "lost"; detail: string };

function send(port: number, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/mutate",
        method: "POST",
        agent,
        servername: "localhost",
        headers: { "content-type": "application/json", "content-length": body.length },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const decided = res.statusCode === 200 && text.includes(`"uid":"${uid}"`);
          resolve(
            decided
              ? { kind: "answered", at: Date.now() }
              : { kind: "lost", detail: `HTTP ${res.statusCode} ${text.slice(0, 200)}` },
          );
        });
        res.on("error", (err) => resolve({ kind: "lost", detail: `response: ${err.message}` }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer within 15 s")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === "ECONNREFUSED"
          ? { kind: "refused", at: Date.now() }
          : { kind: "lost", detail: `${err.code ?? ""} ${err.message}` },
      ),
    );
    req.end(body);
  });
}

function probe(port: number, ca: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, ca, servername: "localhost", agent: false, timeout: 5_000 },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
    req.end();
  });
}

beforeAll(() => ensureBuilt(), 120_000);

it("loses no in-flight request on SIGTERM and exits 0", async () => {
  const server = await startCliServer({ CVM_ADMISSION_SERVER_DRAIN_DELAY_SECONDS: String(DRAIN_DELAY_S) });
  const outcomes: Outcome[] = [];
  let signalled = false;
  // Closed-loop clients, each on its own keep-alive connection: they stop once refused at connect.
  const clients = Array.from({ length: CLIENTS }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: server.ca });
    for (let i = 0; i < 100_000; i++) {
      const outcome = await send(server.port, agent);
      outcomes.push(outcome);
      if (outcome.kind === "refused" || (outcome.kind === "lost" && signalled)) break;
    }
    agent.destroy();
  });
  await sleep(1500);
  const answeredBeforeSignal = outcomes.filter((o) => o.kind === "answered").length;
  signalled = true;
  const signalledAt = Date.now();
  server.child.kill("SIGTERM");
  // During the delay: not ready, still alive, still accepting (each probe is a new connection).
  await sleep(500);
  expect(await probe(server.port, server.ca, "/readyz")).toBe(503);
  expect(await probe(server.port, server.ca, "/healthz")).toBe(200);
  await Promise.all(clients);
  const exitCode = await server.exited;

  const lost = outcomes.filter((o): o is Extract<Outcome, { kind: "lost" }> => o.kind === "lost");
  expect(
    lost.map((o) => o.detail),
    server.output(),
  ).toEqual([]);
  expect(answeredBeforeSignal).toBeGreaterThan(50);
  // The clients were served through the delay (the probes above came on new connections).
  const inDelay = outcomes.filter(
    (o) => o.kind === "answered" && o.at > signalledAt + 500 && o.at < signalledAt + DRAIN_DELAY_S * 1000,
  );
  expect(inDelay.length).toBeGreaterThan(CLIENTS);
  const firstRefused = Math.min(
    ...outcomes.flatMap((o) => (o.kind === "refused" ? [o.at - signalledAt] : [])),
  );
  expect(firstRefused).toBeGreaterThanOrEqual(DRAIN_DELAY_S * 1000 - 100);
  expect(outcomes.filter((o) => o.kind === "refused")).toHaveLength(CLIENTS);
  expect(exitCode).toBe(0);
}, 60_000);
