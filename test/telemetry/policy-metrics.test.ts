// The policies' observations reach the shared registry through the admission layer: an Istio
// finding on a CVM pod and a node backstop refusal, each counted once per review with its labels.

import { describe, expect, it } from "vitest";
import { admit } from "../../src/admission/dispatch.js";
import { checkReview } from "../../src/admission/review.js";
import { FileClusterView } from "../../src/cluster/file-view.js";
import { defaultConfig } from "../../src/config/load.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { registry } from "../../src/telemetry/metrics.js";
import { fixturePod, namespace, podRequest } from "../policies/istio/support.js";
import { exampleClusterView, exampleCvmPodBinding } from "../support/example-view.js";
import { reviewOf } from "../support/server.js";

async function count(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, string>; value: number }[];
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
}

async function review(
  webhook: "mutate" | "validate",
  request: Record<string, unknown>,
  view: FileClusterView,
) {
  const checked = checkReview(reviewOf(request));
  if (!checked.ok) throw new Error(checked.error);
  return admit(webhook, checked, { view, config: defaultConfig(), logger: silentLogger });
}

describe("policy observations as metrics", () => {
  it("counts an Istio finding by webhook, state and outcome", async () => {
    const config = defaultConfig();
    const view = new FileClusterView(
      [namespace("mesh", { "istio-injection": "enabled", "cvm.dev/enabled": "true" })],
      config,
    );
    const pod = fixturePod("inject/default/injected.yaml");
    pod.metadata!.labels = { ...pod.metadata?.labels, "cvm.dev/enabled": "true" };
    const labels = { webhook: "validate", state: "injected", outcome: "denied" };
    const before = await count("cvm_admission_istio_findings_total", labels);
    await review("validate", { ...podRequest("mesh", pod) }, view);
    expect(await count("cvm_admission_istio_findings_total", labels)).toBe(before + 1);
  });

  it("counts a backstop refusal by request and verdict", async () => {
    const view = exampleClusterView(defaultConfig());
    const labels = { request: "binding", verdict: "below-minimum" };
    const before = await count("cvm_admission_binding_denials_total", labels);
    const answer = await review("validate", exampleCvmPodBinding("node-al2-4-14"), view);
    expect(answer.response?.allowed).toBe(false);
    expect(await count("cvm_admission_binding_denials_total", labels)).toBe(before + 1);
  });
});
