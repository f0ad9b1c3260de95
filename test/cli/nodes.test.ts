// `cvm-admission nodes` from a cluster-view file (real NodeList fixtures) and from a live cluster
// (test/support/fake-apiserver.ts stands in for the apiserver because none can run here).

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.js";

const fixture = (name: string) => new URL(`../fixtures/nodes/${name}`, import.meta.url).pathname;

describe("nodes --cluster-view", () => {
  it("prints every node of a real NodeList with verdict, kernel, OS image and label state", async () => {
    const result = await runCli([
      "nodes",
      "--cluster-view",
      fixture("nodelist-troubleshoot-gke-do-aws.json"),
    ]);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+VERDICT\s+KERNEL\s+OS-IMAGE\s+LABEL cvm\.dev\/eligible$/);
    expect(lines).toHaveLength(8);
    expect(lines.find((l) => l.startsWith("ip-172-31-21-92"))).toMatch(
      /^ip-172-31-21-92\s+eligible\s+6\.8\.0-1015-aws\s+Ubuntu 22\.04\.5 LTS\s+missing$/,
    );
    expect(lines.find((l) => l.startsWith("repldev-marc"))).toMatch(
      /below-minimum\s+5\.0\.0-1021-gcp\s+Ubuntu 18\.04\.2 LTS/,
    );
    expect(
      lines.filter((l) => /below-minimum\s+4\.19\.0-11-amd64\s+Debian GNU\/Linux 10 \(buster\)/.test(l)),
    ).toHaveLength(5);
  });

  it("reads a bare JSON array of kind-less Nodes (sonobuoy's Nodes.json)", async () => {
    const result = await runCli([
      "nodes",
      "--cluster-view",
      fixture("nodes-aws-k8s-1.8-ubuntu-16.04-4.4.0-1016-aws.json"),
    ]);
    expect(result.status).toBe(0);
    const rows = result.stdout.trimEnd().split("\n").slice(1);
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(row).toMatch(/^ip-10-0-\S+\s+below-minimum\s+4\.4\.0-1016-aws\s+Ubuntu 16\.04/);
  });

  it("tells whether each node's label agrees, in JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nodes-"));
    const file = join(dir, "view.yaml");
    const nodeDoc = (name: string, kernel: string, label?: string) =>
      `kind: Node\napiVersion: v1\nmetadata:\n  name: ${name}\n` +
      (label ? `  labels:\n    cvm.dev/eligible: "${label}"\n` : "") +
      `status:\n  nodeInfo:\n    kernelVersion: ${kernel}\n    operatingSystem: linux\n    osImage: Ubuntu\n`;
    writeFileSync(
      file,
      [nodeDoc("a", "6.1.94", "true"), nodeDoc("b", "4.4.0", "true"), nodeDoc("c", "4.4.0", "false")].join(
        "---\n",
      ),
    );
    const result = await runCli(["nodes", "--cluster-view", file, "-o", "json"]);
    expect(result.status).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{
      name: string;
      verdict: string;
      label: string | null;
      labelAgrees: boolean;
    }>;
    expect(rows.map((r) => [r.name, r.verdict, r.label, r.labelAgrees])).toEqual([
      ["a", "eligible", "true", true],
      ["b", "below-minimum", "true", false],
      ["c", "below-minimum", "false", true],
    ]);
    const table = await runCli(["nodes", "--cluster-view", file]);
    expect(table.stdout).toMatch(/^b\s+below-minimum\s+4\.4\.0\s+Ubuntu\s+disagrees \(true\)$/m);
  });

  it("refuses an unknown output format and a missing file clearly", async () => {
    expect((await runCli(["nodes", "-o", "yaml", "--cluster-view", fixture("kernels.tsv")])).status).toBe(2);
    const missing = await runCli(["nodes", "--cluster-view", "/nonexistent/view.yaml"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("cannot read cluster view");
  });
});

describe("nodes (live cluster)", () => {
  let api: FakeApiServer | undefined;
  const saved = process.env["KUBECONFIG"];
  afterEach(async () => {
    if (saved === undefined) delete process.env["KUBECONFIG"];
    else process.env["KUBECONFIG"] = saved;
    await api?.close();
    api = undefined;
  });

  it("lists the cluster's nodes with kubectl's credentials", async () => {
    api = await startFakeApiServer();
    api.put("nodes", {
      metadata: { name: "w1", labels: { "cvm.dev/eligible": "true" } },
      status: {
        nodeInfo: {
          kernelVersion: "6.6.57.1-6.azl3",
          operatingSystem: "linux",
          osImage: "Microsoft Azure Linux 3.0",
        },
      },
    });
    api.put("nodes", {
      metadata: { name: "win" },
      status: {
        nodeInfo: {
          kernelVersion: "10.0.17763.7009",
          operatingSystem: "windows",
          osImage: "Windows Server 2019 Datacenter",
        },
      },
    });
    process.env["KUBECONFIG"] = api.kubeconfigPath;
    const result = await runCli(["nodes"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^w1\s+eligible\s+6\.6\.57\.1-6\.azl3\s+Microsoft Azure Linux 3\.0\s+agrees$/m,
    );
    expect(result.stdout).toMatch(
      /^win\s+not-linux\s+10\.0\.17763\.7009\s+Windows Server 2019 Datacenter\s+missing$/m,
    );
  });

  it("exits 2 with the reason when the cluster cannot be read", async () => {
    api = await startFakeApiServer();
    process.env["KUBECONFIG"] = api.kubeconfigPath;
    api.failNext(10, 403);
    const result = await runCli(["nodes"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/nodes: cannot read the cluster: .*HTTP 403/);
  });
});
