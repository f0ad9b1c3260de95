// The one Prometheus registry. Each area defines its own metrics next to its code and registers
// them here, so /metrics serves everything from one place.

import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { VERSION } from "../version.js";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

// Always 1; the usual way to see which build each replica runs (joined onto other series by instance).
new Gauge({
  name: "cvm_admission_build_info",
  help: "Always 1; the labels say which version and Node.js runtime this replica runs.",
  labelNames: ["version", "node"] as const,
  registers: [registry],
}).set({ version: VERSION, node: process.version }, 1);
