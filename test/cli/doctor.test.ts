// `cvm-admission doctor` against a live cluster (test/support/fake-apiserver.ts stands in for the
// apiserver because none can run here) and against a cluster-view file.

import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.js";

const linux = (name: string, kernelVersion: string) => ({
  metadata: { name },
  status: { nodeInfo: { kernelVersion, operatingSystem: "linux", osImage: "Ubuntu 22.04.4 LTS" } },
});

describe("doctor (live cluster)", () => {
  let api: FakeApiServer;
  const saved = process.env["KUBECONFIG"];
  beforeEach(async () => {
    api = await startFakeApiServer();
    process.env["KUBECONFIG"] = api.kubeconfigPath;
    api.put("nodes", linux("good", "6.8.0-1015-aws"));
    api.put("nodes", linux("old", "4.19.0-11-amd64"));
    api.put("namespaces", {
      metadata: {
        name: "work",
        labels: { "cvm.dev/enabled": "true", "pod-security.kubernetes.io/enforce": "privileged" },
      },
    });
    api.put("namespaces", {
      metadata: { name: "other", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    api.put("mutatingwebhookconfigurations", { metadata: { name: "cvm-admission" } });
    api.put("validatingwebhookconfigurations", { metadata: { name: "cvm-admission" } });
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env["KUBECONFIG"];
    else process.env["KUBECONFIG"] = saved;
    await api.close();
  });

  it("passes a ready cluster, listing nodes by verdict and the opted-in namespaces", async () => {
    const result = await runCli(["doctor"]);
    expect(result.stdout).toMatch(/eligible\s+1\n\s+below-minimum\s+1\n\s+not-linux\s+0\n\s+unparseable\s+0/);
    expect(result.stdout).toContain(
      "work: Pod Security enforce=privileged warn=- audit=-; Istio labels: none",
    );
    expect(result.stdout).not.toContain("other:");
    expect(result.stdout).toContain("mutatingwebhookconfigurations cvm-admission exists");
    expect(result.stdout).toContain("RuntimeClass sysbox-runc is absent (not needed by the envbox form)");
    expect(result.stdout).toMatch(/0 problems, \d+ warnings\n$/);
    expect(result.status).toBe(0);
  });

  it("fails on missing webhook configurations, a rejecting Pod Security level, and no eligible node", async () => {
    api.remove("validatingwebhookconfigurations", "cvm-admission");
    api.remove("nodes", "good");
    api.put("namespaces", {
      metadata: {
        name: "work",
        labels: {
          "cvm.dev/enabled": "true",
          "pod-security.kubernetes.io/enforce": "baseline",
          "istio-injection": "enabled",
        },
      },
    });
    const result = await runCli(["doctor"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("PROBLEM  no eligible node");
    expect(result.stdout).toContain("PROBLEM  validatingwebhookconfigurations cvm-admission is missing");
    expect(result.stdout).toMatch(/PROBLEM {2}namespace work enforces Pod Security level baseline/);
    expect(result.stdout).toMatch(/warning {2}work: Istio would capture CVM pods/);
    expect(result.stdout).toMatch(/3 problems, \d+ warnings\n$/);
  });

  it("warns about the softer sysbox requirements, one line per warning for all nodes", async () => {
    for (let i = 0; i < 7; i++)
      api.put("nodes", {
        metadata: { name: `al2-${i}` },
        status: {
          nodeInfo: {
            kernelVersion: "5.10.236-228.935.amzn2.x86_64",
            operatingSystem: "linux",
            osImage: "Amazon Linux 2",
          },
        },
      });
    const result = await runCli(["doctor"]);
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n").filter((l) => l.includes("below 5.12"));
    expect(lines).toEqual([
      expect.stringMatching(
        /^ {2}warning {2}al2-0, al2-1, al2-2, al2-3, al2-4 and 2 more: kernel 5\.10 is below 5\.12/,
      ),
    ]);
  });

  it("requires the RuntimeClass for the runtimeclass form", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doctor-"));
    writeFileSync(join(dir, "config.yaml"), "form: runtimeclass\n");
    const missing = await runCli(["doctor", "--config", join(dir, "config.yaml")]);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain("PROBLEM  RuntimeClass sysbox-runc is missing");
    api.put("runtimeclasses", { metadata: { name: "sysbox-runc" }, handler: "sysbox-runc" });
    const present = await runCli(["doctor", "--config", join(dir, "config.yaml")]);
    expect(present.stdout).toContain("ok       RuntimeClass sysbox-runc exists");
    expect(present.status).toBe(0);
  });

  it("exits 2 when the cluster cannot be read", async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "doctor-")), "kubeconfig");
    copyFileSync(api.kubeconfigPath, kubeconfig);
    process.env["KUBECONFIG"] = kubeconfig;
    await api.close(); // connection refused
    const result = await runCli(["doctor"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("doctor: cannot read the cluster");
    api = await startFakeApiServer();
  });
});

describe("doctor --cluster-view", () => {
  it("checks nodes and namespaces from the file and says what it could not check", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doctor-"));
    const file = join(dir, "view.yaml");
    writeFileSync(
      file,
      'kind: Namespace\nmetadata:\n  name: vms\n  labels:\n    cvm.dev/enabled: "true"\n---\n' +
        "kind: Node\nmetadata:\n  name: n1\nstatus:\n  nodeInfo:\n    kernelVersion: 3.10.0-957.el7.x86_64\n",
    );
    const result = await runCli(["doctor", "--cluster-view", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("PROBLEM  no eligible node");
    expect(result.stdout).toContain("vms: Pod Security enforce=- warn=- audit=-");
    expect(result.stdout).toContain(
      "(not checked: webhook configurations and RuntimeClass need a live cluster)",
    );
  });
});
