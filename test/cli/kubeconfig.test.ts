// --kubeconfig and --context for the commands that read a cluster, and the one-line error when
// there is no cluster configuration at all (test/support/fake-apiserver.ts stands in for the
// apiserver because none can run here).

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "../support/cli.js";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.js";

const NODE = {
  metadata: { name: "w1" },
  status: { nodeInfo: { kernelVersion: "6.8.0-1015-aws", operatingSystem: "linux", osImage: "Ubuntu" } },
};

describe("commands that read a cluster", () => {
  let api: FakeApiServer | undefined;
  const saved = { KUBECONFIG: process.env["KUBECONFIG"], HOME: process.env["HOME"] };
  beforeEach(() => {
    // No kubeconfig anywhere: an empty home and no $KUBECONFIG (and no service account here).
    delete process.env["KUBECONFIG"];
    process.env["HOME"] = mkdtempSync(join(tmpdir(), "cvm-home-"));
  });
  afterEach(async () => {
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    await api?.close();
    api = undefined;
  });

  for (const command of ["nodes", "doctor"]) {
    it(`${command}: says in one line what to do when there is no cluster configuration`, async () => {
      const result = await runCli([command]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        "cvm-admission: no cluster configuration: pass --kubeconfig FILE or set KUBECONFIG (or run inside a cluster); " +
          "--cluster-view FILE reads a file instead\n",
      );
    });

    it(`${command}: reads the cluster of --kubeconfig, in the --context given`, async () => {
      api = await startFakeApiServer();
      api.put("nodes", NODE);
      const kubeConfig = api.kubeConfig();
      const real = kubeConfig.getCurrentContext();
      // A second context, current, whose cluster does not answer: only --context reaches the fake.
      const file = join(mkdtempSync(join(tmpdir(), "cvm-kubeconfig-")), "config");
      const exported = JSON.parse(kubeConfig.exportConfig()) as {
        clusters: object[];
        contexts: object[];
        "current-context": string;
      };
      exported.clusters.push({ name: "nowhere", cluster: { server: "https://127.0.0.1:1" } });
      exported.contexts.push({
        name: "nowhere",
        context: { cluster: "nowhere", user: kubeConfig.getCurrentUser()!.name },
      });
      exported["current-context"] = "nowhere";
      writeFileSync(file, stringify(exported));

      const inContext = await runCli([command, "--kubeconfig", file, "--context", real]);
      expect(inContext.stderr).not.toMatch(/cannot read the cluster/);
      expect(inContext.stdout).toMatch(/eligible/);
      const current = await runCli([command, "--kubeconfig", file]);
      expect(current.status).toBe(2);
      expect(current.stderr).toMatch(/cannot read the cluster: .*ECONNREFUSED/);
      expect(api.requests.length).toBeGreaterThan(0);
    });
  }

  it("names the contexts when --context is not one of them, and a kubeconfig that cannot be read", async () => {
    api = await startFakeApiServer();
    const result = await runCli(["nodes", "--kubeconfig", api.kubeconfigPath, "--context", "prod"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^cvm-admission: context "prod" is not in \S+ \(contexts: \S+\)\n$/);
    const missing = await runCli(["nodes", "--kubeconfig", "/nonexistent/config"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^cvm-admission: cannot read kubeconfig \/nonexistent\/config: .*\n$/);
  });
});

describe("serve", () => {
  it("refuses --context when the configuration does not read a cluster, instead of ignoring it", async () => {
    const result = await runCli(["serve", "--context", "prod", "--port", "0"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "cvm-admission: serve: --kubeconfig and --context read a cluster, but cluster.source is embedded " +
        "(set cluster.source: live or CVM_ADMISSION_CLUSTER_SOURCE=live)\n",
    );
  });
});
