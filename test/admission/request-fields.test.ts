// Every field of a review that a policy reads is type-checked before the policies run: a forged or
// hand-made review with a wrong type gets a decided 400 naming the field (issue 14, case 5: a
// userInfo.groups that is not a list of strings used to end as a policy exception, 500). Real
// server over HTTPS, both webhooks.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewOf, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
beforeAll(async () => {
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "ws", labels: { "cvm.dev/enabled": "true" } } }; // prettier-ignore
  server = await startTestServer({ objects: [namespace] });
});
afterAll(() => server.close());

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "ws", labels: { "cvm.dev/enabled": "true" } },
  spec: { containers: [{ name: "web", image: "nginx" }] },
};
const BINDING = { group: "", version: "v1", kind: "Binding" };
const EPHEMERAL = { group: "", version: "v1", kind: "EphemeralContainers" };

describe("review fields a policy reads", () => {
  it.each([
    ["userInfo.groups as a string", { object: pod, userInfo: { username: "alice", groups: "sre-break-glass" } }, /request\.userInfo\.groups must be a list of strings/],
    ["userInfo.groups holding a number", { object: pod, userInfo: { username: "alice", groups: ["devs", 7] } }, /request\.userInfo\.groups must be a list of strings/],
    ["a Binding whose annotations are not strings", { kind: BINDING, subResource: "binding", name: "web", object: { apiVersion: "v1", kind: "Binding", metadata: { name: "web", annotations: { "cvm.dev/mutated": 1 } }, target: { name: "n1" } } }, /request\.object\.metadata\.annotations must map strings to strings/],
    ["a Binding whose target name is not a string", { kind: BINDING, subResource: "binding", name: "web", object: { apiVersion: "v1", kind: "Binding", target: { name: ["n1"] } } }, /request\.object\.target\.name must be a string/],
    ["an EphemeralContainers body with a nameless entry", { kind: EPHEMERAL, operation: "UPDATE", subResource: "ephemeralcontainers", name: "web", object: { kind: "EphemeralContainers", ephemeralContainers: [{ image: "busybox" }] }, oldObject: { kind: "EphemeralContainers", ephemeralContainers: [] } }, /request\.object\.ephemeralContainers must be a list of containers with names/],
  ])("answers %s with a decided 400 naming the field", async (_what, request, message) => {
    // The mutating webhook judges pod CREATEs only (of CVM pods): anything else is not read there.
    const judgedBy = "kind" in request ? (["/validate"] as const) : (["/mutate", "/validate"] as const);
    for (const path of judgedBy) {
      const review = await server.review(path, reviewOf({ uid: "uid-fields", namespace: "ws", ...request }));
      expect(review.response).toMatchObject({ uid: "uid-fields", allowed: false, status: { code: 400 } });
      expect(review.response?.status?.message).toMatch(message);
    }
  }); // prettier-ignore

  it("allows untouched, unread, what the mutating webhook does not judge (a Binding, whatever its fields)", async () => {
    const binding = { kind: BINDING, subResource: "binding", name: "web", object: { apiVersion: "v1", kind: "Binding", target: { name: ["n1"] } } };
    const review = await server.review("/mutate", reviewOf({ uid: "uid-unjudged", namespace: "ws", ...binding }));
    expect(review.response).toEqual({ uid: "uid-unjudged", allowed: true });
  }); // prettier-ignore

  it("still answers well-typed reviews by policy (groups a list, no groups at all)", async () => {
    for (const userInfo of [{ username: "alice", groups: ["devs"] }, { username: "alice" }]) {
      const review = await server.review(
        "/validate",
        reviewOf({ uid: "uid-ok", namespace: "ws", object: pod, userInfo }),
      );
      expect(review.response).toMatchObject({ uid: "uid-ok", allowed: true });
    }
  });
});
