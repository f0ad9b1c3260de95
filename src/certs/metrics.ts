// Certificate expiry as a Prometheus gauge, so an alert can fire long before a webhook outage.

import type { X509Certificate } from "node:crypto";
import { Gauge } from "prom-client";
import { registry } from "../telemetry/metrics.js";

export const certificateExpiry = new Gauge({
  name: "cvm_admission_certificate_expiry_timestamp_seconds",
  help: "notAfter of the certificates in use, as a Unix timestamp; certificate=serving|ca.",
  labelNames: ["certificate"] as const,
  registers: [registry],
});

export function recordExpiry(certificate: "serving" | "ca", cert: X509Certificate): void {
  certificateExpiry.set({ certificate }, Date.parse(cert.validTo) / 1000);
}
