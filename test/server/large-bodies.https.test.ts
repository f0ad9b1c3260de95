// Large review bodies over HTTPS (issue 13 §2, src/server/large-body-gate.ts): a legal ~2.7 MB CVM
// pod is mutated when there is time to decide it; when there is not (here: the apiserver's
// ?timeout= already spent), the answer is decided at once — HTTP 200, the request's uid, not
// allowed, 429 "retry" — never a late answer or none. How a burst fares on this machine (latency,
// memory) is measured by `npm run bench -- --body huge-pod-x8`, not here.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AdmissionReview } from "../../src/kube/admission-review.js";
import { defaultConfig } from "../../src/config/load.js";
import { exampleClusterView } from "../support/example-view.js";
import { startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
let body: string;
let uid: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cvm-large-"));
  const file = join(dir, "huge-pod.json");
  const made = spawnSync(process.execPath, ["bench/bodies/gen-bodies.mjs", "--huge", file], {
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(made.stderr);
  body = readFileSync(file, "utf8");
  uid = (JSON.parse(body) as { request: { uid: string } }).request.uid;
  const config = defaultConfig();
  server = await startTestServer({ config, view: exampleClusterView(config) });
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const answerOf = (text: string) => JSON.parse(text) as AdmissionReview;

it("mutates a legal ~2.7 MB CVM pod when there is time to decide it", async () => {
  expect(body.length).toBeGreaterThan(2_600_000);
  const answer = await server.post("/mutate?timeout=30s", body);
  expect(answer.status).toBe(200);
  const { response } = answerOf(answer.body);
  expect(response).toMatchObject({ uid, allowed: true, patchType: "JSONPatch" });
}, 30_000);

it("answers a large body it cannot decide in time at once: decided, with the uid, 429 retry", async () => {
  const answer = await server.post("/mutate?timeout=1ms", body);
  expect(answer.status).toBe(200);
  const review = answerOf(answer.body);
  expect(review.apiVersion).toBe("admission.k8s.io/v1");
  expect(review.response).toEqual({
    uid,
    allowed: false,
    status: { code: 429, reason: "TooManyRequests", message: expect.stringMatching(/busy.*retry/) },
  });
  // The connection stays usable: the unread rest of the body was discarded.
  expect((await server.get("/healthz")).status).toBe(200);
});

it("keeps the request's AdmissionReview version in the busy answer", async () => {
  const v1beta1 = body.replace(
    '"apiVersion":"admission.k8s.io/v1"',
    '"apiVersion":"admission.k8s.io/v1beta1"',
  );
  const answer = await server.post("/validate?timeout=1ms", v1beta1);
  expect(answerOf(answer.body)).toMatchObject({ apiVersion: "admission.k8s.io/v1beta1", response: { uid } });
});

it("answers a plain 429 when the body's head does not name the uid", async () => {
  const review = JSON.parse(body) as { request: Record<string, unknown> };
  const { uid: moved, ...rest } = review.request;
  const reordered = JSON.stringify({ ...review, request: { ...rest, uid: moved } });
  const answer = await server.post("/mutate?timeout=1ms", reordered);
  expect(answer.status).toBe(429);
  expect(JSON.parse(answer.body)).toEqual({ error: expect.stringMatching(/busy.*retry/) });
});
