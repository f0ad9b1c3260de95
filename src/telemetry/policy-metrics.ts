// What the policies observed, counted: Istio findings on CVM pods (how often CVM pods meet the mesh,
// and what we did about it) and the node backstop's refusals, each a CVM pod that reached an
// ineligible node past the node affinity (a rising count means the affinity or the node labels are
// wrong). The admission layer hands every decision's observations here.

import { Counter } from "prom-client";
import type { Observation } from "../policies/index.js";
import { registry } from "./metrics.js";

const istioFindings = new Counter({
  name: "cvm_admission_istio_findings_total",
  help: "Istio findings on CVM pods, by webhook, finding state and what the policy did.",
  labelNames: ["webhook", "state", "outcome"] as const,
  registers: [registry],
});

const bindingDenials = new Counter({
  name: "cvm_admission_binding_denials_total",
  help: "CVM pods denied a node (pods/binding, or pod CREATE with spec.nodeName), by request and node verdict.",
  labelNames: ["request", "verdict"] as const,
  registers: [registry],
});

export function countObservations(webhook: string, observations: readonly Observation[]): void {
  for (const o of observations) {
    if (o.kind === "istio-finding") istioFindings.inc({ webhook, state: o.state, outcome: o.outcome });
    else if (o.kind === "node-refused") bindingDenials.inc({ request: o.request, verdict: o.verdict });
  }
}
