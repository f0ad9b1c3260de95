// Structured JSON logs (pino). One line per admission at info; never whole objects or secrets.

import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = process.env["LOG_LEVEL"] ?? "info"): Logger {
  return pino({ level, base: { app: "cvm-admission" }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** For tests and CLI commands that must stay quiet. */
export const silentLogger: Logger = pino({ level: "silent" });
