// Admission request metrics. Latency buckets are the apiserver's own
// (apiserver_admission_webhook_admission_duration_seconds), so both sides chart alike.

import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "./metrics.js";

// The request path writes plain numbers only; prom-client receives them when /metrics is read
// (each metric's collect hook) and, for latencies, whenever a batch fills. Updating prom-client
// on every admission was cheap in a warm loop but a measurable share of a binding review under
// load (BENCHMARKS.md, "Last full run"); in a batch the calls run warm.

/** Latencies kept per webhook before they are handed to the histogram together. */
const LATENCY_BATCH = 256;

/** Answered requests per label set, and how many of them prom-client has been given. */
const answered = new Map<
  string,
  { labels: { webhook: string; operation: string; decision: string }; count: number; published: number }
>();
const pendingLatencies = new Map<string, { seconds: Float64Array; length: number }>();
let inFlight = 0;

// Registered on creation; read only through the registry.
new Counter({
  name: "cvm_admission_requests_total",
  help: "Admission requests answered, by webhook, operation and decision.",
  labelNames: ["webhook", "operation", "decision"] as const,
  registers: [registry],
  collect() {
    for (const entry of answered.values()) {
      if (entry.count === entry.published) continue;
      this.inc(entry.labels, entry.count - entry.published);
      entry.published = entry.count;
    }
  },
});

const admissionDuration = new Histogram({
  name: "cvm_admission_request_duration_seconds",
  help: "Time to decide an admission request, by webhook.",
  labelNames: ["webhook"] as const,
  buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 25],
  registers: [registry],
  collect() {
    for (const webhook of pendingLatencies.keys()) publishLatencies(webhook);
  },
});

new Gauge({
  name: "cvm_admission_requests_in_flight",
  help: "Admission requests being decided now.",
  registers: [registry],
  collect() {
    this.set(inFlight);
  },
});

function publishLatencies(webhook: string): void {
  const pending = pendingLatencies.get(webhook)!;
  for (let i = 0; i < pending.length; i++) admissionDuration.observe({ webhook }, pending.seconds[i]!);
  pending.length = 0;
}

export function admissionStarted(): void {
  inFlight++;
}

export function admissionEnded(): void {
  inFlight--;
}

/** One answered admission: its outcome counted, its latency kept for the histogram. */
export function admissionAnswered(
  webhook: string,
  operation: string,
  decision: string,
  seconds: number,
): void {
  const key = `${webhook} ${operation} ${decision}`;
  const entry = answered.get(key);
  if (entry) entry.count++;
  else answered.set(key, { labels: { webhook, operation, decision }, count: 1, published: 0 });
  let pending = pendingLatencies.get(webhook);
  if (!pending)
    pendingLatencies.set(webhook, (pending = { seconds: new Float64Array(LATENCY_BATCH), length: 0 }));
  pending.seconds[pending.length++] = seconds;
  if (pending.length === LATENCY_BATCH) publishLatencies(webhook);
}

export const policyErrors = new Counter({
  name: "cvm_admission_policy_errors_total",
  help: "Policy exceptions answered as allowed=false with code 500, by webhook.",
  labelNames: ["webhook"] as const,
  registers: [registry],
});

export const badRequests = new Counter({
  name: "cvm_admission_bad_requests_total",
  help: "Requests refused before review (400/405/413), by reason.",
  labelNames: ["reason"] as const,
  registers: [registry],
});
