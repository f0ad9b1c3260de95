// The server's logger (src/telemetry/logger.ts) writes JSON lines in batches of LOG_BATCH_BYTES,
// synchronously: a full batch is on disk before the logging call returns (no thread-pool hand-off),
// a partial one at flush(), synchronously too (pino flushes on exit). Real files, real pino.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createLogger, LOG_BATCH_BYTES } from "../../src/telemetry/logger.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const linesIn = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);

it("holds lines until a batch fills, then writes it before the logging call returns", () => {
  dir = mkdtempSync(join(tmpdir(), "cvm-logger-"));
  const file = join(dir, "log");
  const logger = createLogger("info", file);
  logger.info({ uid: "u-0" }, "admission");
  expect(readFileSync(file, "utf8")).toBe("");
  const line = JSON.stringify({ uid: "u-0", msg: "admission" }).length + 60;
  const count = Math.ceil(LOG_BATCH_BYTES / line) + 1;
  for (let i = 1; i < count; i++) logger.info({ uid: `u-${i}` }, "admission");
  const written = linesIn(file);
  expect(written.length).toBeGreaterThan(0);
  expect(JSON.parse(written[0]!)).toMatchObject({ app: "cvm-admission", uid: "u-0", msg: "admission" });
});

it("writes a partial batch at once on flush, as on exit", () => {
  dir = mkdtempSync(join(tmpdir(), "cvm-logger-"));
  const file = join(dir, "log");
  const logger = createLogger("info", file);
  logger.warn({ uid: "u-1" }, "break-glass access allowed");
  logger.flush();
  expect(linesIn(file).map((l) => JSON.parse(l) as { uid: string; level: number })).toEqual([
    expect.objectContaining({ uid: "u-1", level: 40 }),
  ]);
});
