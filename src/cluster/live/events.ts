// Kubernetes Events for denied CVM pods, so `kubectl describe` and `kubectl get events`
// show why. Recording never slows or breaks an answer: it returns at once, a bounded queue is
// posted in the background one at a time, overflow is dropped and counted, failures are logged.
// Dry-run requests write nothing (the webhooks are sideEffects: NoneOnDryRun).

import { hostname } from "node:os";
import { Counter } from "prom-client";
import { registry } from "../../telemetry/metrics.js";
import { silentLogger, type Logger } from "../../telemetry/logger.js";
import type { Denial, DenialRecorder } from "../denials.js";
import type { KubeClient } from "./kube-client.js";

export const eventsDropped = new Counter({
  name: "cvm_admission_events_dropped_total",
  help: "Denial Events not written, by reason (queue full, write failed).",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export const EVENT_REASON = "CVMAdmissionDenied";
const MAX_MESSAGE = 1024;
const WRITE_TIMEOUT_MS = 3000;

/** Event timestamps are metav1.Time: RFC 3339 in whole seconds. */
function time(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

export class EventRecorder implements DenialRecorder {
  private readonly queue: Denial[] = [];
  private draining: Promise<void> | undefined;
  private readonly instance = hostname();

  constructor(
    private readonly client: KubeClient,
    private readonly maxQueued = 100,
    private readonly logger: Logger = silentLogger,
  ) {}

  recordDenial(denial: Denial): void {
    try {
      if (denial.dryRun) return;
      if (this.queue.length >= this.maxQueued) {
        eventsDropped.inc({ reason: "queue-full" });
        return;
      }
      this.queue.push(denial);
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    } catch {
      // Recording is best effort by contract: the admission answer must never depend on it.
    }
  }

  /** Resolves when everything queued so far has been written (or given up on). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (let denial = this.queue.shift(); denial; denial = this.queue.shift()) {
      try {
        await this.write(denial);
      } catch (err) {
        eventsDropped.inc({ reason: "write-failed" });
        this.logger.warn(
          { namespace: denial.namespace, pod: denial.podName, err: (err as Error).message },
          "denial event not written",
        );
      }
    }
  }

  private async write({ namespace, podName, message }: Denial): Promise<void> {
    const now = time(new Date());
    const name = podName || "unnamed-pod";
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion: "v1", kind: "Pod", namespace, name },
      reason: EVENT_REASON,
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message,
      type: "Warning",
      source: { component: "cvm-admission" },
      reportingComponent: "cvm-admission",
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.client.request("POST", `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
      body: event,
      timeoutMs: WRITE_TIMEOUT_MS,
    });
  }
}
