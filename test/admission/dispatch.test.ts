// admit() answers at once when the policies decide without I/O (nearly every review), and with a
// promise only when a validator must read the cluster. Real admission layer and cluster view.

import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { admit } from "../../src/admission/dispatch.js";
import { checkReview } from "../../src/admission/review.js";
import { defaultConfig } from "../../src/config/load.js";
import { MAX_OBJECT_NESTING, nestsDeeperThan } from "../../src/kube/nesting.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { exampleClusterView, exampleCvmPodBinding } from "../support/example-view.js";
import { reviewOf } from "../support/server.js";

const config = defaultConfig();
const view = exampleClusterView(config);
const deps = { view, config, logger: silentLogger };

/** The scheduler binding the cached CVM pod default/workspace-alice to `node`. */
function bindingTo(node: string) {
  const checked = checkReview(reviewOf(exampleCvmPodBinding(node)));
  if (!checked.ok) throw new Error(checked.error);
  return checked;
}

it("answers a binding to a cached eligible node without a promise", () => {
  const review = admit("validate", bindingTo("node-ubuntu-6-8"), deps);
  expect(review).not.toBeInstanceOf(Promise);
  expect(review).toMatchObject({ response: { uid: "bind-node-ubuntu-6-8", allowed: true } });
});

it("answers a binding to a node it must look up with a promise of the decided review", async () => {
  const review = admit("validate", bindingTo("node-not-cached"), deps);
  expect(review).toBeInstanceOf(Promise);
  expect(await review).toMatchObject({ response: { uid: "bind-node-not-cached", allowed: false } });
});

it("answers a CVM pod whose env nests deeper than any Kubernetes object with a decided 400, not a 500", () => {
  // Found by the hostile-body fuzz: the patch carrying such a value cannot be serialised.
  const review = JSON.parse(
    readFileSync(new URL("../../examples/review-cvm-pod.json", import.meta.url), "utf8"),
  );
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = { a: deep };
  review.request.object.spec.containers[0].env = [{ name: "DEEP", valueFrom: deep }];
  const checked = checkReview(review);
  if (!checked.ok) throw new Error(checked.error);
  const answer = admit("mutate", checked, deps);
  expect(answer).toMatchObject({
    response: {
      allowed: false,
      status: { code: 400, message: expect.stringMatching(/request\.object nests deeper than 1000 levels/) },
    },
  });
});

it("counts nesting without recursion, objects and arrays alike", () => {
  let deep: unknown = "leaf";
  for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
  expect(nestsDeeperThan(deep, MAX_OBJECT_NESTING)).toBe(true);
  expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
  expect(nestsDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
});

it("takes a null list in a CVM pod (JSON's way of writing 'none') as absent", () => {
  // Found by the hostile-body fuzz: spec.volumes: null reached the mount encoding.
  const review = JSON.parse(
    readFileSync(new URL("../../examples/review-cvm-pod.json", import.meta.url), "utf8"),
  );
  review.request.object.spec.volumes = null;
  const checked = checkReview(review);
  if (!checked.ok) throw new Error(checked.error);
  expect(admit("mutate", checked, deps)).toMatchObject({
    response: { allowed: true, patchType: "JSONPatch" },
  });
});
