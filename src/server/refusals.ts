// Refused requests are logged at warn, so an operator sees a misconfigured caller (a wrong path or
// method, a proxy that changes the content type or strips the body), but at most one line per
// interval and logger: a scanner or a flood must not make the log the bottleneck. Each line counts
// the refusals left out since the previous one.

import type { Logger } from "../telemetry/logger.js";

export const REFUSAL_LOG_INTERVAL_MS = 10_000;

const lastLine = new WeakMap<Logger, { at: number; suppressed: number }>();

export interface Refusal {
  status: number;
  reason: string;
  message: string;
  method: string | undefined;
  path: string | undefined;
  remoteAddress: string | undefined;
}

export function logRefusal(logger: Logger, refusal: Refusal, now = Date.now()): void {
  const last = lastLine.get(logger);
  if (last !== undefined && now - last.at < REFUSAL_LOG_INTERVAL_MS) {
    last.suppressed++;
    return;
  }
  logger.warn({ ...refusal, suppressedSinceLastLine: last?.suppressed ?? 0 }, "refused a request");
  lastLine.set(logger, { at: now, suppressed: 0 });
}
