import { describe, expect, it } from "vitest";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import { loadConfig } from "../../../src/config/load.js";
import { istioMutation } from "../../../src/policies/istio/mutation.js";
import { validateIstio } from "../../../src/policies/istio/validation.js";
import { registry } from "../../../src/telemetry/metrics.js";
import { fixturePod, namespace, podRequest } from "./support.js";

async function count(labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === "cvm_admission_istio_findings_total",
  );
  const values = (metric?.values ?? []) as { labels: Record<string, string>; value: number }[];
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
}

describe("Istio findings metric", () => {
  it("counts findings by webhook, state and outcome on the shared registry", async () => {
    const config = loadConfig({ env: {} });
    const view = new FileClusterView([namespace("mesh", { "istio-injection": "enabled" })], config);
    const pod = fixturePod("inject/default/injected.yaml");
    pod.metadata!.labels = { ...pod.metadata?.labels, "cvm.dev/enabled": "true" };
    const request = podRequest("mesh", pod);
    const mutateBefore = await count({ webhook: "mutate", state: "injected", outcome: "opted-out" });
    const validateBefore = await count({ webhook: "validate", state: "injected", outcome: "denied" });
    const unchangedBefore = await count({ webhook: "mutate", state: "injected", outcome: "unchanged" });
    const first = istioMutation(pod, { request, view, config });
    // Re-invoked on its own output, the step changes nothing and counts so.
    istioMutation(first.allowed ? first.mutated! : pod, { request, view, config });
    await validateIstio({ request, view, config });
    expect(await count({ webhook: "mutate", state: "injected", outcome: "unchanged" })).toBe(
      unchangedBefore + 1,
    );
    expect(await count({ webhook: "mutate", state: "injected", outcome: "opted-out" })).toBe(
      mutateBefore + 1,
    );
    expect(await count({ webhook: "validate", state: "injected", outcome: "denied" })).toBe(
      validateBefore + 1,
    );
  });
});
