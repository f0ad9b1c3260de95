// GET on a review endpoint answers 405 with Allow: POST; refused requests are logged at warn, at
// most one line per interval, each line counting the refusals left out before it.

import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logRefusal, REFUSAL_LOG_INTERVAL_MS } from "../../src/server/refusals.js";
import { startTestServer, type TestServer } from "../support/server.js";

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, sink) };
}

const refusal = {
  status: 400,
  reason: "content-type",
  message: "m",
  method: "POST",
  path: "/mutate",
  remoteAddress: "10.0.0.1",
};

describe("refused requests", () => {
  const { lines, logger } = capturingLogger();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ logger });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(["/mutate", "/validate", "/mutate?timeout=10s"])(
    "GET %s answers 405 with Allow: POST",
    async (path) => {
      const answer = await server.get(path);
      expect(answer.status).toBe(405);
      expect(answer.headers["allow"]).toBe("POST");
      expect(JSON.parse(answer.body)).toEqual({ error: "GET is not allowed here; POST an AdmissionReview" });
    },
  );

  it("logs the first refusal at warn with what was refused, and no more within the interval", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50)); // pino writes asynchronously
    const warnings = lines.filter((l) => l["msg"] === "refused a request");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      status: 405,
      reason: "method",
      method: "GET",
      path: "/mutate",
    });
    expect((await server.post("/mutate", "{}", { "content-type": "text/plain" })).status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((l) => l["msg"] === "refused a request")).toHaveLength(1);
  });
});

describe("logRefusal", () => {
  it("writes one line per interval and counts the ones it left out", () => {
    const { lines, logger } = capturingLogger();
    const t0 = 1_000_000;
    logRefusal(logger, refusal, t0);
    logRefusal(logger, refusal, t0 + 1);
    logRefusal(logger, refusal, t0 + REFUSAL_LOG_INTERVAL_MS - 1);
    logRefusal(logger, { ...refusal, reason: "too-large", status: 413 }, t0 + REFUSAL_LOG_INTERVAL_MS);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(lines.map((l) => [l["level"], l["reason"], l["suppressedSinceLastLine"]])).toEqual([
          [40, "content-type", 0],
          [40, "too-large", 2],
        ]);
        resolve();
      }),
    );
  });
});
