// `cvm-admission check-node`, run in-process as the binary runs it.

import { mkdtempSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { judgeKernel } from "../../src/cluster/kernel.js";
import { runCli } from "../support/cli.js";

describe("check-node", () => {
  it("says no, and why, for a CentOS 7 kernel", async () => {
    const result = await runCli(["check-node", "--kernel", "3.10.0-1160.el7.x86_64"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      'below-minimum: kernel "3.10.0-1160.el7.x86_64" (3.10) is below the minimum 5.4\n',
    );
  });

  it("says yes for an eligible kernel, with the soft warnings", async () => {
    expect(
      await runCli(["check-node", "--kernel", "6.8.0-1015-aws", "--os-image", "Ubuntu 22.04.5 LTS"]),
    ).toEqual({
      status: 0,
      stdout: 'eligible: kernel "6.8.0-1015-aws" (6.8) meets the minimum 5.4\n',
      stderr: "",
    });
    const al2 = await runCli([
      "check-node",
      "--kernel",
      "5.10.236-228.935.amzn2.x86_64",
      "--os-image",
      "Amazon Linux 2",
    ]);
    expect(al2.status).toBe(0);
    expect(al2.stdout).toMatch(/^eligible: .*\nwarning: kernel 5\.10 is below 5\.12/);
  });

  it("evaluates an explicitly empty --kernel instead of replacing it", async () => {
    const result = await runCli(["check-node", "--kernel", ""]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      "unparseable: no kernel version reported; CVMs need Linux with kernel 5.4 or newer\n",
    );
  });

  it("judges the OS first", async () => {
    const result = await runCli(["check-node", "--kernel", "10.0.20348.1668", "--os", "windows"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^not-linux: operating system "windows"/);
  });

  it("reads this machine without --kernel, like uname -r", async () => {
    const result = await runCli(["check-node"]);
    const expected = judgeKernel({ operatingSystem: process.platform, kernelVersion: release() }, "5.4");
    expect(result.stdout.split("\n")[0]).toBe(`${expected.verdict}: ${expected.reason}`);
    expect(result.status).toBe(expected.verdict === "eligible" ? 0 : 1);
  });

  it("uses kernel.minimum from --config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "check-node-"));
    writeFileSync(join(dir, "config.yaml"), 'kernel:\n  minimum: "6.1"\n');
    const result = await runCli([
      "check-node",
      "--kernel",
      "5.15.0-1020-azure",
      "--config",
      join(dir, "config.yaml"),
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("below the minimum 6.1");
  });

  it("judges the runtimeclass form with user namespaces against 6.3 and says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "check-node-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, "form: runtimeclass\n");
    const result = await runCli(["check-node", "--kernel", "6.1.0-18-amd64", "--config", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      'below-minimum: kernel "6.1.0-18-amd64" (6.1) is below the minimum 6.3\n' +
        "note: the runtimeclass form with user namespaces (hostUsers: false) needs kernel 6.3 or newer, above kernel.minimum 5.4\n",
    );
    expect((await runCli(["check-node", "--kernel", "6.8.0-1015-aws", "--config", file])).status).toBe(0);
    // CRI-O's annotation is not Kubernetes' hostUsers: false, whose documentation sets the 6.3 floor.
    writeFileSync(file, "form: runtimeclass\nruntimeClass:\n  userNamespaces: crioAnnotation\n");
    expect((await runCli(["check-node", "--kernel", "6.1.0-18-amd64", "--config", file])).status).toBe(0);
    // A kernel.minimum above 6.3 stays the floor, and needs no note.
    writeFileSync(file, 'form: runtimeclass\nkernel:\n  minimum: "6.6"\n');
    const higher = await runCli(["check-node", "--kernel", "6.4.0", "--config", file]);
    expect(higher.stdout).toBe('below-minimum: kernel "6.4.0" (6.4) is below the minimum 6.6\n');
  });

  it("refuses unknown options with a usage error", async () => {
    const result = await runCli(["check-node", "--kernal", "5.4"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("check-node:");
  });
});
