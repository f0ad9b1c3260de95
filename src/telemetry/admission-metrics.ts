// Admission request metrics. Latency buckets are the apiserver's own
// (apiserver_admission_webhook_admission_duration_seconds), so both sides chart alike.

import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "./metrics.js";

export const admissionRequests = new Counter({
  name: "cvm_admission_requests_total",
  help: "Admission requests answered, by webhook, operation and decision.",
  labelNames: ["webhook", "operation", "decision"] as const,
  registers: [registry],
});

export const admissionDuration = new Histogram({
  name: "cvm_admission_request_duration_seconds",
  help: "Time to decide an admission request, by webhook.",
  labelNames: ["webhook"] as const,
  buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 25],
  registers: [registry],
});

export const admissionInFlight = new Gauge({
  name: "cvm_admission_requests_in_flight",
  help: "Admission requests being decided now.",
  registers: [registry],
});

export const policyErrors = new Counter({
  name: "cvm_admission_policy_errors_total",
  help: "Policy exceptions answered as allowed=false with code 500, by webhook.",
  labelNames: ["webhook"] as const,
  registers: [registry],
});

export const badRequests = new Counter({
  name: "cvm_admission_bad_requests_total",
  help: "Requests refused before review (400/413), by reason.",
  labelNames: ["reason"] as const,
  registers: [registry],
});
