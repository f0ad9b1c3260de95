// Bounds the concurrent work on large review bodies (issue 13 §2). Deciding a review costs memory
// and CPU in proportion to its size (JSON.parse, the pod schema check, the mutation, the patch): a
// burst of legal ~2.7 MB CVM pods, taken all at once, grew the process past the chart's memory
// limit and answered after the webhook timeouts. Bodies above LARGE_BODY_BYTES therefore take a
// share of a byte budget first, in arrival order; small bodies never wait. A large body that
// cannot get its share early enough to be decided before its deadline (the apiserver's ?timeout=
// less a margin) gets a decided answer at once: not allowed, status 429, "retry" — instead of a
// late answer the apiserver would have given up on.

import { Counter } from "prom-client";
import { registry } from "../telemetry/metrics.js";

/** Bodies up to this size are decided at once (a large ordinary pod is ~100 KB). */
export const LARGE_BODY_BYTES = 256 * 1024;
/** Bytes of large bodies decided at the same time; one body larger than this runs alone. */
export const LARGE_BODY_BUDGET_BYTES = 4 * 1024 * 1024;
/** Answers are due by this share of the webhook timeout: the rest is for the work of other
 * requests that holds the event loop, writing the answer, and the network. */
const ANSWER_BY = 0.6;
/** The webhook timeout when the request names none (the apiserver always does). */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Until measured: time to decide one byte of a large body. */
const INITIAL_MS_PER_BYTE = 300 / (1024 * 1024);

const busyAnswers = new Counter({
  name: "cvm_admission_large_body_busy_total",
  help: "Large review bodies answered 429 (retry) because they could not be decided before their webhook timeout.",
  registers: [registry],
});

/** The apiserver's ?timeout= (a Go duration such as 5s or 1m0s) in ms; undefined when absent or unreadable. */
export function requestTimeoutMs(url: string | undefined): number | undefined {
  const match = /[?&]timeout=((?:\d+h)?(?:\d+m(?!s))?(?:\d+(?:\.\d+)?s)?(?:\d+ms)?)(?:&|$)/.exec(url ?? "");
  if (!match || match[1] === "") return undefined;
  let ms = 0;
  for (const [, value, unit] of match[1]!.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    ms += Number(value) * { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 }[unit as "h" | "m" | "s" | "ms"];
  }
  return ms;
}

interface Waiter {
  /** The body's size, and its share of the budget (at most the budget). */
  size: number;
  bytes: number;
  /** Past this moment it can no longer be decided in time. */
  startBy: number;
  grant: (release: (() => void) | undefined) => void;
  timer: NodeJS.Timeout;
}

export class LargeBodyGate {
  private inUse = 0;
  private readonly queue: Waiter[] = [];
  /** Decision time per byte of large bodies, as recently measured (see learn). */
  private msPerByte = INITIAL_MS_PER_BYTE;

  constructor(private readonly budget = LARGE_BODY_BUDGET_BYTES) {}

  /**
   * Resolves with a release function once the body may be decided, or with undefined when it
   * could not be decided before `arrivedAt + timeoutMs` (the caller answers "busy").
   */
  admit(bytes: number, arrivedAt: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<(() => void) | undefined> {
    if (bytes <= LARGE_BODY_BYTES) return Promise.resolve(() => {});
    const weight = Math.min(bytes, this.budget);
    const startBy = arrivedAt + timeoutMs * ANSWER_BY - bytes * this.msPerByte;
    return new Promise((resolve) => {
      const waitMs = startBy - performance.now();
      // Too late to be decided in time even if the budget is free: the work of other requests
      // held the event loop while this body arrived (decisions run synchronously).
      if (waitMs <= 0) {
        busyAnswers.inc();
        return resolve(undefined);
      }
      const waiter: Waiter = {
        size: bytes,
        bytes: weight,
        startBy,
        grant: resolve,
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          busyAnswers.inc();
          resolve(undefined);
        }, waitMs),
      };
      this.queue.push(waiter);
      this.grantWaiting();
    });
  }

  private grantWaiting(): void {
    while (this.queue.length > 0 && this.inUse + this.queue[0]!.bytes <= this.budget) {
      const waiter = this.queue.shift()!;
      clearTimeout(waiter.timer);
      // Its timer may not have run yet when the work of others held the event loop.
      if (performance.now() > waiter.startBy) {
        busyAnswers.inc();
        waiter.grant(undefined);
        continue;
      }
      this.inUse += waiter.bytes;
      const started = performance.now();
      let released = false;
      waiter.grant(() => {
        if (released) return;
        released = true;
        this.inUse -= waiter.bytes;
        this.learn(waiter.size, performance.now() - started);
        this.grantWaiting();
      });
    }
  }

  /** Up at once when a decision was slower than estimated, down slowly: a late "yes" is a timeout. */
  private learn(bytes: number, ms: number): void {
    const observed = ms / bytes;
    this.msPerByte = Math.max(observed, 0.8 * this.msPerByte + 0.2 * observed);
  }
}
