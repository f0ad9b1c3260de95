// Which admissions leave a log line (src/admission/dispatch.ts): a patch or a denial at info, a
// plain "allowed" at debug only. Real admission layer and a real pino logger writing to a sink.

import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { admit } from "../../src/admission/dispatch.js";
import { checkReview } from "../../src/admission/review.js";
import { defaultConfig } from "../../src/config/load.js";
import { exampleClusterView } from "../support/example-view.js";
import { reviewOf } from "../support/server.js";

const config = defaultConfig();
const view = exampleClusterView(config);

async function logLines(level: string, object: object, namespace: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  const checked = checkReview(reviewOf({ uid: "uid-log", namespace, object }));
  if (!checked.ok) throw new Error(checked.error);
  await admit("mutate", checked, { view, config, logger: pino({ level }, sink) });
  return lines;
}

const pod = (namespace: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace, labels },
  spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
});

describe("admission log lines", () => {
  it("logs a plain allowed pod at debug only", async () => {
    expect(await logLines("info", pod("default"), "default")).toEqual([]);
    const debug = await logLines("debug", pod("default"), "default");
    expect(debug).toHaveLength(1);
    expect(debug[0]).toMatchObject({ level: 20, uid: "uid-log", decision: "allowed", msg: "admission" });
  });

  it("logs a patched CVM pod at info", async () => {
    const lines = await logLines(
      "info",
      pod("coder-workspaces", { "cvm.dev/enabled": "true" }),
      "coder-workspaces",
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, decision: "patched", namespace: "coder-workspaces" });
  });

  it("logs a denial at info with its code and message", async () => {
    const lines = await logLines("info", pod("plain", { "cvm.dev/enabled": "true" }), "plain");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, decision: "denied", code: 403 });
    expect(String(lines[0]!["message"])).toMatch(/has not opted in/);
  });
});
