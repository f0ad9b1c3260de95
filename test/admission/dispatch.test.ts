// admit() answers at once when the policies decide without I/O (nearly every review), and with a
// promise only when a validator must read the cluster. Real admission layer and cluster view.

import { expect, it } from "vitest";
import { admit } from "../../src/admission/dispatch.js";
import { checkReview } from "../../src/admission/review.js";
import { defaultConfig } from "../../src/config/load.js";
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
