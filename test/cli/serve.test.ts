// What `serve` tells an operator: the version in its first log line, and a banner that says when
// the server is not ready and what to run, after which it becomes ready without a restart.

import { readFileSync, mkdtempSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../faults/built-cli.js";
import { runCli } from "../support/cli.js";
import { spawnServe, waitFor } from "./serve-process.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The status of GET /readyz; the placeholder certificate is trusted by nobody, so none is checked. */
const readyz = (port: number) =>
  new Promise<number>((resolve, reject) =>
    get({ host: "127.0.0.1", port, path: "/readyz", rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject),
  );

describe("serve", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("logs its version first, says it is not ready and what to run, and is ready once that is done", async () => {
    const certsDir = mkdtempSync(join(tmpdir(), "cvm-certs-"));
    const serve = spawnServe(["--port", "0", "--certs-dir", certsDir], {
      CVM_ADMISSION_LOGGING_LEVEL: "info",
    });
    try {
      await waitFor(serve, () => /serving https:\/\/127\.0\.0\.1:\d+/.test(serve.stderr()));
      const port = Number(/serving https:\/\/127\.0\.0\.1:(\d+)/.exec(serve.stderr())![1]);
      expect(serve.stderr()).toContain(
        `NOT READY: no usable serving certificate in ${certsDir}; /readyz answers 503 and the apiserver will not trust it.\n` +
          `Run: cvm-admission certs generate --out ${certsDir}`,
      );
      expect(serve.stderr()).not.toContain("curl");
      expect(await readyz(port)).toBe(503);

      await waitFor(serve, () => serve.stdout().includes("\n"));
      const first = JSON.parse(serve.stdout().split("\n")[0]!) as Record<string, unknown>;
      expect(first).toMatchObject({ msg: "cvm-admission starting", version: VERSION, node: process.version });

      expect((await runCli(["certs", "generate", "--out", certsDir, "--dns", "localhost"])).status).toBe(0);
      const deadline = Date.now() + 20_000;
      while ((await readyz(port)) !== 200) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  }, 90_000);
});
