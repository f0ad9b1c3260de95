// Property-based fuzzing of POST /mutate and /validate over real HTTPS (issue 7, hostile input).
// Hostile bodies: the server answers every one in time with 200 (a decided review carrying the
// request's uid), 400 or 413, never a bare 5xx; nothing pollutes Object.prototype; the heap stays
// flat. Generated valid pods: denied with reasons, or patched into a schema-valid pod that a second
// pass leaves alone. FUZZ_RUNS / FUZZ_POD_RUNS scale it (`npm run test:long`: 100,000 + 10,000).

import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import fc from "fast-check";
import fastJsonPatch from "fast-json-patch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../src/kube/admission-review.js";
import { exampleClusterObjects } from "../support/example-view.js";
import { schemaErrors } from "../support/k8s-schema.js";
import { patchOf, reviewOf, startTestServer, type HttpAnswer, type TestServer } from "../support/server.js";
import { hostileRequest } from "./hostile.js";
import { validPod } from "./valid-pod.js";

const HOSTILE_RUNS = Number(process.env["FUZZ_RUNS"] ?? 2000);
const POD_RUNS = Number(process.env["FUZZ_POD_RUNS"] ?? 300);
const ANSWER_WITHIN_MS = 15_000;

setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ objects: exampleClusterObjects() });
});
afterAll(async () => {
  await server.close();
});

function withinTime(answer: Promise<HttpAnswer>, what: string): Promise<HttpAnswer> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms: ${what}`)),
      ANSWER_WITHIN_MS,
    );
  });
  return Promise.race([answer, hang]).finally(() => clearTimeout(timer));
}

/** The uid the server must echo, when the body is a JSON object carrying one. */
function sentUid(body: Buffer): string | undefined {
  try {
    const uid = (JSON.parse(body.toString("utf8")) as { request?: { uid?: unknown } })?.request?.uid;
    return typeof uid === "string" ? uid : undefined;
  } catch {
    return undefined;
  }
}

/** Decided policy exceptions (allowed=false, code 500): the contract answers them, but each is a bug. */
const policyExceptions = new Map<string, string>();

describe("hostile request bodies", () => {
  it(
    `answers ${HOSTILE_RUNS} generated and mutated reviews in time, with 200/400/413 only, and keeps the heap flat`,
    async () => {
      const warm = Math.min(200, Math.floor(HOSTILE_RUNS / 10));
      let sent = 0;
      let heapAfterWarmUp = 0;
      await fc.assert(
        fc.asyncProperty(hostileRequest, async (req) => {
          const headers: Record<string, string> = req.contentType ? { "content-type": req.contentType } : {};
          const answer = await withinTime(server.post(req.path, req.body, headers), req.what);
          expect(
            [200, 400, 413],
            `${req.what}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`,
          ).toContain(answer.status);
          const parsed = JSON.parse(answer.body) as AdmissionReview & { error?: string };
          if (answer.status !== 200) {
            expect(typeof parsed.error, req.what).toBe("string");
          } else {
            const response = parsed.response!;
            expect(response.uid, req.what).toBe(sentUid(req.body));
            expect(typeof response.allowed, req.what).toBe("boolean");
            if (!response.allowed) {
              expect(response.status?.message, req.what).toBeTruthy();
              if (response.status?.code === 500)
                policyExceptions.set(response.status.message!.slice(0, 200), req.what);
            }
            if (response.patch) {
              const object = (JSON.parse(req.body.toString("utf8")) as { request: { object: unknown } })
                .request.object;
              // In place: a copy of a 20,000-deep hostile object would overflow the test's own stack.
              // The guard against `__proto__` paths is lifted: the apiserver (Go) applies a patch
              // that removes an own `__proto__` key as any other, and the container turned
              // supervisor loses every key it had. Object.prototype is still checked below.
              const ops = patchOf(parsed) as fastJsonPatch.Operation[];
              expect(() => fastJsonPatch.applyPatch(object, ops, true, true, false), req.what).not.toThrow();
            }
          }
          expect(
            ({} as Record<string, unknown>)["polluted"],
            `Object.prototype polluted by ${req.what}`,
          ).toBeUndefined();
          if (++sent === warm) heapAfterWarmUp = heapAfterGc();
        }),
        { numRuns: HOSTILE_RUNS, endOnFailure: true },
      );
      expect((await server.get("/healthz")).status).toBe(200);
      const growth = heapAfterGc() - heapAfterWarmUp;
      expect(
        growth,
        `heap grew ${Math.round(growth / 1e6)} MB over ${HOSTILE_RUNS - warm} requests`,
      ).toBeLessThan(32e6);
      expect(
        [...policyExceptions].map(([message, what]) => `${message}\n    after: ${what}`),
        "policy exceptions answered as allowed=false/500 (decided, but bugs)",
      ).toEqual([]);
    },
    Math.max(60_000, HOSTILE_RUNS * 50),
  );
});

describe("generated valid pods", () => {
  it(
    `denies each of ${POD_RUNS} pods with reasons, or patches it into a schema-valid pod that a second pass leaves alone`,
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(validPod, async (pod) => {
          expect(schemaErrors(pod), "the generator made an invalid pod").toEqual([]);
          const uid = `fuzz-${++n}`;
          const request = { uid, name: pod.metadata.name, namespace: pod.metadata.namespace, object: pod };
          const first = await server.review("/mutate", reviewOf(request));
          const response = first.response!;
          expect(response.uid).toBe(uid);
          if (!response.allowed) {
            expect(response.status?.code, response.status?.message).toBe(403);
            expect(response.status?.message).toBeTruthy();
            return;
          }
          const patched = fastJsonPatch.applyPatch(
            structuredClone(pod),
            patchOf(first) as fastJsonPatch.Operation[],
            true,
            false,
          ).newDocument;
          expect(schemaErrors(patched)).toEqual([]);
          const second = await server.review(
            "/mutate",
            reviewOf({ ...request, uid: `${uid}-again`, object: patched }),
          );
          expect(second.response?.allowed, second.response?.status?.message).toBe(true);
          expect(patchOf(second), "mutating the patched pod again must yield no patch").toEqual([]);
        }),
        { numRuns: POD_RUNS },
      );
    },
    Math.max(60_000, POD_RUNS * 200),
  );
});
