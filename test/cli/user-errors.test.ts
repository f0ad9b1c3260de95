// No stack trace for a user's mistake: one line naming the problem, exit 2. The port-in-use case
// runs the built binary, so what is checked is exactly what an operator sees.

import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../faults/built-cli.js";
import { runCli } from "../support/cli.js";
import { spawnServe } from "./serve-process.js";

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "cvm-errors-")), name);
  writeFileSync(path, text);
  return path;
}

const node = (kernel: string, extra = "") =>
  `apiVersion: v1\nkind: Node\nmetadata:\n  name: w1\n${extra}status:\n  nodeInfo:\n    kernelVersion: ${kernel}\n    operatingSystem: linux\n`;

/** One line on stderr, nothing that looks like a stack. */
function expectOneLine(result: { status: number; stderr: string }, pattern: RegExp): void {
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/^[^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("files given as input", () => {
  const dir = mkdtempSync(join(tmpdir(), "cvm-dir-"));
  it.each([
    [["mutate", "-f", dir], /-f \S+: is a directory, not a file/],
    [["mutate", "-f", "/nonexistent.yaml"], /-f \/nonexistent\.yaml: no such file/],
    [["mutate", "-f", join(dir, "missing", "x")], /no such file/],
    [["nodes", "--cluster-view", dir], /cannot read cluster view \S+: EISDIR/],
    [["doctor", "--cluster-view", dir], /cannot read cluster view \S+: EISDIR/],
    [["config", "print", "--config", dir], /cannot read config file \S+: EISDIR/],
    [["mutate", "-f", file("bad.yaml", "a: [1,\n"), "-o", "patch"], /bad\.yaml: document 1: /],
  ])("%j: one line, exit 2", async (argv, pattern) => {
    expectOneLine(await runCli(argv), pattern);
  });
});

describe("cluster-view files", () => {
  it("names a field of the wrong type (kernelVersion: 5.10 is a number) instead of misjudging the node", async () => {
    const result = await runCli(["nodes", "--cluster-view", file("view.yaml", node("5.10"))]);
    expectOneLine(
      result,
      /view\.yaml: document 1: Node w1: status\.nodeInfo\.kernelVersion: must be a string \(got number 5\.1; quote it\)/,
    );
    expect((await runCli(["nodes", "--cluster-view", file("view.yaml", node('"5.10"'))])).stdout).toMatch(
      /^w1\s+eligible\s+5\.10\s/m,
    );
  });

  it("reads YAML 1.1 as kubectl does: an unquoted yes is a boolean, so a label `yes` is named as not a string", async () => {
    const view = node('"6.1"', "  labels:\n    cvm.dev/eligible: yes\n");
    expectOneLine(
      await runCli(["nodes", "--cluster-view", file("view.yaml", view)]),
      /Node w1: metadata\.labels\.cvm\.dev\/eligible must be a string \(got boolean true; quote it\)/,
    );
  });

  it("reports malformed YAML and JSON streams in one line naming the document", async () => {
    expectOneLine(
      await runCli(["doctor", "--cluster-view", file("v.yaml", `${node('"6.1"')}---\nkind: [\n`)]),
      /v\.yaml: document 2: /,
    );
    expectOneLine(
      await runCli(["nodes", "--cluster-view", file("v.json", '{"kind":"Node"}\n{"kind": ')]),
      /v\.json: document 2: JSON ends before the object is closed/,
    );
  });
});

describe("serve", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("says in one line that the port is in use, exit 2", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    const certsDir = mkdtempSync(join(tmpdir(), "cvm-certs-"));
    try {
      const serve = spawnServe(["--port", String(port), "--certs-dir", certsDir]);
      const status = await serve.exited;
      const stderr = serve.stderr();
      expectOneLine(
        { status: status ?? -1, stderr },
        new RegExp(
          `^cvm-admission: serve: 127\\.0\\.0\\.1:${port} is already in use: stop what listens there or pass --port N\\n$`,
        ),
      );
    } finally {
      blocker.close();
    }
  }, 60_000);
});
