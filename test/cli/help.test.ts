// kubectl's and helm's conventions: -h/--help on every command and `help CMD` (each flag, an
// example, exit codes), `version` and `--version`, the build_info metric.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/run.js";
import { registry } from "../../src/telemetry/metrics.js";
import { runCli } from "../support/cli.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

describe("help", () => {
  it("lists every command with its summary, and says how to get a command's help", async () => {
    const result = await runCli(["--help"]);
    expect(result.status).toBe(0);
    for (const name of Object.keys(COMMANDS))
      expect(result.stdout).toMatch(new RegExp(`^  ${name}\\s+\\S`, "m"));
    expect(result.stdout).toContain("cvm-admission help COMMAND");
  });

  for (const name of Object.keys(COMMANDS)) {
    it(`${name}: -h, --help and help ${name} print every flag, an example and the exit codes`, async () => {
      const { help } = await COMMANDS[name]!.load();
      const action = help.name.split(" ").slice(1); // `certs generate --help` as well as `certs --help`
      const outputs = [
        await runCli([name, "--help"]),
        await runCli([name, "-h"]),
        await runCli(["help", name]),
        await runCli([name, ...action, "--help"]),
      ];
      for (const result of outputs) {
        expect(result).toMatchObject({ status: 0, stderr: "" });
        expect(result.stdout).toBe(outputs[0]!.stdout);
      }
      const text = outputs[0]!.stdout;
      expect(text).toContain(`Usage:\n  cvm-admission ${help.name} `);
      for (const [flag, spec] of Object.entries(help.flags)) {
        expect(text).toMatch(
          new RegExp(
            `^  ${spec.short ? `-${spec.short}, ` : "    "}--${flag}\\b.*${spec.help.slice(0, 20).replace(/[$()*+.?[\]^{|}]/g, "\\$&")}`,
            "m",
          ),
        );
      }
      expect(text).toMatch(/^ {2}-h, --help\s+show this help$/m);
      expect(text).toMatch(new RegExp(`Examples:\\n  cvm-admission ${name}`));
      expect(text).toMatch(/Exit codes:\n {2}0 {2}\S/);
      expect(text).toMatch(/^ {2}2 {2}\S/m);
    });
  }

  it("refuses help for an unknown command", async () => {
    expect(await runCli(["help", "frobnicate"])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/unknown command "frobnicate"/),
    });
  });
});

describe("version", () => {
  it("prints the package version and the runtime, as `version` and `--version`", async () => {
    for (const argv of [["version"], ["--version"]]) {
      const result = await runCli(argv);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`cvm-admission ${VERSION} (node ${process.version})\n`);
    }
    expect(JSON.parse((await runCli(["version", "-o", "json"])).stdout)).toEqual({
      version: VERSION,
      node: process.version,
    });
  });

  it("is published as cvm_admission_build_info", async () => {
    const text = await registry.metrics();
    expect(text).toContain(`cvm_admission_build_info{version="${VERSION}",node="${process.version}"} 1`);
  });
});
