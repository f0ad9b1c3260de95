// Bad input gets a decision, never an exception: the access checks are called with objects of any
// shape (the CLI and tests call them directly; a forged or truncated review reaches them too).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AdmissionRequest, Operation } from "../../../src/kube/admission-review.js";
import { ACCESS_VALIDATORS, podSecurityPrecheck } from "../../../src/policies/access/index.js";
import type { V1Pod } from "@kubernetes/client-node";
import { connect, contextFor, createPod, userPod } from "./support.js";

const json = fc.jsonValue({ maxDepth: 4 });
/** Pod-like objects whose fields have the wrong types as often as the right ones. */
const podLike = fc.record(
  {
    kind: fc.constantFrom("Pod", "EphemeralContainers", undefined),
    metadata: fc.oneof(
      json,
      fc.record({ name: fc.string(), labels: fc.dictionary(fc.string(), fc.string()) }),
    ),
    spec: fc.oneof(
      json,
      fc.record({
        containers: fc.oneof(
          json,
          fc.array(
            fc.record({
              name: fc.oneof(fc.string(), json),
              securityContext: json,
              volumeMounts: json,
              env: json,
            }),
          ),
        ),
        volumes: fc.oneof(json, fc.array(fc.record({ name: fc.oneof(fc.string(), json), hostPath: json }))),
        ephemeralContainers: json,
        hostPID: json,
      }),
    ),
  },
  { requiredKeys: [] },
);

const requests = fc.record({
  operation: fc.constantFrom<Operation>("CREATE", "UPDATE", "DELETE", "CONNECT"),
  subResource: fc.constantFrom(
    undefined,
    "",
    "status",
    "resize",
    "ephemeralcontainers",
    "exec",
    "proxy",
    "binding",
  ),
  name: fc.oneof(fc.constant(undefined), fc.string()),
  namespace: fc.constantFrom(undefined, "", "workspaces", "plain", "unknown-ns"),
  object: fc.oneof(podLike, json),
  oldObject: fc.oneof(podLike, json),
});

describe("access checks with malformed requests", () => {
  it("decide every request shape without throwing", async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (shape) => {
        const request = { ...createPod(userPod()), ...shape } as AdmissionRequest;
        const ctx = contextFor(request);
        for (const check of ACCESS_VALIDATORS) {
          const decision = await check(ctx);
          expect(typeof decision.allowed).toBe("boolean");
        }
        if (typeof request.object === "object" && request.object !== null) {
          expect(typeof podSecurityPrecheck(request.object as V1Pod, ctx).allowed).toBe("boolean");
        }
      }),
      { numRuns: 400 },
    );
  });

  it("answers a pod CREATE without a Pod object with a 400 that says so", async () => {
    const ctx = contextFor({ ...createPod(userPod()), object: "not a pod" });
    const decisions = await Promise.all(ACCESS_VALIDATORS.map((check) => check(ctx)));
    const denied = decisions.filter((d) => !d.allowed);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      code: 400,
      reasons: ["request.object must be the Pod being created: it is not an object"],
    });
  });

  it("fails closed on a CONNECT that names no pod", async () => {
    const ctx = contextFor({ ...connect("exec", "dev"), name: "" });
    const decisions = await Promise.all(ACCESS_VALIDATORS.map((check) => check(ctx)));
    expect(decisions.some((d) => !d.allowed && d.reasons.some((r) => /fails closed/.test(r)))).toBe(true);
  });
});
