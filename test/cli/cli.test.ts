import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../support/cli.js";

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "cvm-cli-")), name);
  writeFileSync(path, text);
  return path;
}

describe("cvm-admission", () => {
  it("lists its commands and exits 2 without one", async () => {
    const result = await runCli([]);
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/^ {2}serve\s+Run the webhook server$/m);
    expect(result.stdout).toMatch(/^ {2}mutate\s+Mutate pods offline/m);
  });

  it("exits 2 on an unknown command or option, naming it", async () => {
    expect(await runCli(["frobnicate"])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/unknown command "frobnicate"/),
    });
    expect(await runCli(["mutate", "--frob"])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/Unknown option '--frob'/),
    });
  });
});

describe("config print", () => {
  it("prints the effective configuration as YAML, env overrides applied", async () => {
    process.env["CVM_ADMISSION_ISTIO_POLICY"] = "warn";
    try {
      const result = await runCli(["config", "print"]);
      expect(result.status).toBe(0);
      const printed = parse(result.stdout);
      expect(printed.istio.policy).toBe("warn");
      expect(printed.kernel.minimum).toBe("5.4");
    } finally {
      delete process.env["CVM_ADMISSION_ISTIO_POLICY"];
    }
  });

  it("exits 2 naming a bad key", async () => {
    const result = await runCli(["config", "print", "--config", file("c.yaml", "istio:\n  policy: maybe\n")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/istio\.policy: must be one of/);
  });
});

describe("mutate -f", () => {
  it("requires -f and a known -o", async () => {
    expect((await runCli(["mutate"])).stderr).toMatch(/-f FILE is required/);
    expect((await runCli(["mutate", "-f", "x.yaml", "-o", "diff"])).stderr).toMatch(
      /-o must be one of patched, yaml, json, patch, review/,
    );
  });

  it("exits 2 for a missing file or a document without a kind", async () => {
    expect(await runCli(["mutate", "-f", "/nonexistent.yaml"])).toMatchObject({
      status: 2,
      stderr: "cvm-admission: -f /nonexistent.yaml: no such file\n",
    });
    const result = await runCli(["mutate", "-f", file("bad.yaml", "metadata: {name: x}\n")]);
    expect(result).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/^input: \S+bad.yaml: document 1: object x: the object has no kind$/m),
    });
  });

  it("reads a bare array of kind-less pods (sonobuoy's Pods.json) and judges each one", async () => {
    const list = new URL("../fixtures/pods/podlist-real-kube-system-k8s-1.8.json", import.meta.url).pathname;
    const result = await runCli(["mutate", "-f", list]);
    expect(result.status).toBe(1);
    const denials = result.stderr.split("\n").filter((l) => l.startsWith("denied: "));
    expect(denials.length).toBeGreaterThanOrEqual(10);
    for (const denial of denials)
      expect(denial).toMatch(
        /^denied: \S+podlist-real-kube-system-k8s-1\.8\.json: document 1: \[\d+\]: Pod kube-system\/\S+: .*spec\./,
      );
  });

  it("prints kinds that hold no pod unchanged", async () => {
    const service =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n";
    const result = await runCli(["mutate", "-f", file("svc.yaml", service)]);
    expect(result.status).toBe(0);
    expect(parse(result.stdout)).toEqual(parse(service));
  });
});
