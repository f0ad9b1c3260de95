// The Istio steps report each finding (state, and what the policy did) on their decision; the
// admission layer counts them (test/telemetry/policy-metrics.test.ts).

import { describe, expect, it } from "vitest";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import { loadConfig } from "../../../src/config/load.js";
import { istioMutation } from "../../../src/policies/istio/mutation.js";
import { validateIstio } from "../../../src/policies/istio/validation.js";
import { fixturePod, namespace, podRequest } from "./support.js";

describe("Istio findings as observations", () => {
  it("reports the finding's state and the outcome of each step", async () => {
    const config = loadConfig({ env: {} });
    const view = new FileClusterView([namespace("mesh", { "istio-injection": "enabled" })], config);
    const pod = fixturePod("inject/default/injected.yaml");
    pod.metadata!.labels = { ...pod.metadata?.labels, "cvm.dev/enabled": "true" };
    const request = podRequest("mesh", pod);
    const first = istioMutation(pod, { request, view, config });
    expect(first.observations).toEqual([{ kind: "istio-finding", state: "injected", outcome: "opted-out" }]);
    // Re-invoked on its own output, the step changes nothing and says so.
    const again = istioMutation(first.allowed ? first.mutated! : pod, { request, view, config });
    expect(again.observations).toEqual([{ kind: "istio-finding", state: "injected", outcome: "unchanged" }]);
    const verdict = await validateIstio({ request, view, config });
    expect(verdict.observations).toEqual([{ kind: "istio-finding", state: "injected", outcome: "denied" }]);
  });

  it("reports nothing for a pod that is not a CVM pod", () => {
    const config = loadConfig({ env: {} });
    const view = new FileClusterView([namespace("mesh", { "istio-injection": "enabled" })], config);
    const pod = fixturePod("inject/default/injected.yaml");
    const decision = istioMutation(pod, { request: podRequest("mesh", pod), view, config });
    expect(decision.observations).toBeUndefined();
  });
});
