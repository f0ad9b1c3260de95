// The backstop's denials, each a CVM pod that reached an ineligible node past the node affinity (a
// rising count means the affinity or the node labels are wrong).

import { Counter } from "prom-client";
import { registry } from "../../telemetry/metrics.js";

export const bindingDenials = new Counter({
  name: "cvm_admission_binding_denials_total",
  help: "CVM pods denied a node (pods/binding, or pod CREATE with spec.nodeName), by request and node verdict.",
  labelNames: ["request", "verdict"] as const,
  registers: [registry],
});
