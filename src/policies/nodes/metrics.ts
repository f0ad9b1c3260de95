// Node metrics: nodes by kernel verdict (computed at scrape time from the cluster view), and the
// backstop's denials, each a CVM pod that reached an ineligible node past the node affinity (a
// rising count means the affinity or the node labels are wrong).

import { Counter, Gauge } from "prom-client";
import type { ClusterView } from "../../cluster/view.js";
import { registry } from "../../telemetry/metrics.js";
import { nodeJudgement } from "../../cluster/eligibility.js";
import type { KernelVerdict } from "../../cluster/kernel.js";

export const bindingDenials = new Counter({
  name: "cvm_admission_binding_denials_total",
  help: "CVM pods denied a node (pods/binding, or pod CREATE with spec.nodeName), by request and node verdict.",
  labelNames: ["request", "verdict"] as const,
  registers: [registry],
});

const verdictSources = new Set<{ view: ClusterView; minimum: string }>();

export const nodesByVerdict = new Gauge({
  name: "cvm_admission_nodes",
  help: "Nodes in the cluster view by kernel verdict (eligible, below-minimum, not-linux, unparseable).",
  labelNames: ["verdict"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const counts: Record<KernelVerdict, number> = {
      eligible: 0,
      "below-minimum": 0,
      "not-linux": 0,
      unparseable: 0,
    };
    for (const { view, minimum } of verdictSources)
      for (const node of view.nodes()) counts[nodeJudgement(node, minimum).verdict]++;
    for (const [verdict, count] of Object.entries(counts)) this.set({ verdict }, count);
  },
});

/** Counts this view's nodes in nodesByVerdict at every scrape until the returned function is called. */
export function observeNodeVerdicts(view: ClusterView, minimum: string): () => void {
  const source = { view, minimum };
  verdictSources.add(source);
  return () => verdictSources.delete(source);
}
