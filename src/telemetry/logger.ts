// Structured JSON logs (pino). One line per admission at info; never whole objects or secrets.

import { pino, type Logger } from "pino";

export type { Logger };

/** Lines are batched into writes of about this size: one write per admission line cost ~12 % of
 * the server's CPU under `npm run bench -- --profile`. */
export const LOG_BATCH_BYTES = 4096;
/** A batch is written at least this often, and on exit. */
export const LOG_FLUSH_MS = 250;

/** JSON lines on `dest` (stdout; a file path for the bench). */
export function createLogger(
  level: string = process.env["LOG_LEVEL"] ?? "info",
  dest: number | string = 1,
): Logger {
  // The batches are written synchronously: sonic-boom's asynchronous mode costs about twice the CPU
  // per line (a hand-off to libuv's thread pool per batch; `npm run bench:hot-loop` measures both).
  // A stdout that stops draining now stalls the server at once, where the asynchronous mode would
  // buffer without bound.
  const destination = pino.destination({
    dest,
    sync: true,
    minLength: LOG_BATCH_BYTES,
    periodicFlush: LOG_FLUSH_MS,
  });
  return pino(
    { level, base: { app: "cvm-admission" }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}

/** For tests and CLI commands that must stay quiet. */
export const silentLogger: Logger = pino({ level: "silent" });
