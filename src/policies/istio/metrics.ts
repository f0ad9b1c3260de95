// Istio findings as Prometheus counters: how often CVM pods meet the mesh, and what we did about it.

import { Counter } from "prom-client";
import { registry } from "../../telemetry/metrics.js";

export type IstioOutcome = "unchanged" | "opted-out" | "rerouted" | "allowed" | "warned" | "denied";

export const istioFindings = new Counter({
  name: "cvm_admission_istio_findings_total",
  help: "Istio findings on CVM pods, by webhook, finding state and what the policy did.",
  labelNames: ["webhook", "state", "outcome"] as const,
  registers: [registry],
});
