// Structured JSON logs (pino). One line per admission at info; never whole objects or secrets.

import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = process.env["LOG_LEVEL"] ?? "info"): Logger {
  // Lines are batched into writes of about 4 KiB, flushed at least every 250 ms and on exit: one
  // write per admission line cost ~12 % of the server's CPU under `npm run bench -- --profile`.
  // The batches are written synchronously: sonic-boom's asynchronous mode cost 10.4 us of CPU per
  // 700-byte line on Node 26 (a hand-off to libuv's thread pool per batch), synchronous batches
  // 4.9 us (BENCHMARKS.md, "Issue 16"); a stdout pipe that stops draining blocks either way, here
  // at once rather than after buffering without bound.
  const stdout = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 250 });
  return pino({ level, base: { app: "cvm-admission" }, timestamp: pino.stdTimeFunctions.isoTime }, stdout);
}

/** For tests and CLI commands that must stay quiet. */
export const silentLogger: Logger = pino({ level: "silent" });
