// A real Kubernetes API server for the end-to-end tests: etcd + kube-mini (upstream
// k8s.io/apiserver with kube-apiserver's webhook admission plugins), started and stopped through
// the tool's own run.sh in a temporary directory. $KUBE_MINI names the tool's folder (.ci/run sets
// it); without it, or without a chart renderer, the suite skips and says why.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { readFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { findRenderer } from "../chart/render.js";

const KUBE_MINI = process.env["KUBE_MINI"];
const renderer = findRenderer();

/** Why the kube-mini suite cannot run here, or undefined when it can. */
export const kubeMiniSkipReason: string | undefined = !KUBE_MINI
  ? "KUBE_MINI is not set (set it to a kube-mini build; .ci/run does)"
  : "missing" in renderer
    ? renderer.missing
    : undefined;

/** run.sh waits at most READY_TIMEOUT for etcd and the apiserver; our own bound is above it. */
const READY_TIMEOUT_S = 60;
const RUN_TIMEOUT_MS = (READY_TIMEOUT_S + 30) * 1000;

export class KubeMini {
  readonly kubeconfigPath: string;

  private constructor(readonly dir: string) {
    this.kubeconfigPath = join(dir, "kubeconfig");
  }

  /** Starts etcd and kube-mini with `flags`; stops whatever started if the start fails. */
  static async start(flags: string[]): Promise<KubeMini> {
    const cluster = new KubeMini(mkdtempSync(join(tmpdir(), "cvm-e2e-kube-mini-")));
    try {
      await cluster.run("start", ...flags);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** A client configuration for the admin user of the kubeconfig run.sh wrote. */
  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(this.kubeconfigPath);
    return kubeConfig;
  }

  /** Compacts etcd at its current revision; returns that revision. */
  async compact(): Promise<number> {
    return Number((await this.run("compact")).trim());
  }

  /** Stops and starts the apiserver on the same etcd, port, certificate and flags. */
  async restartApiserver(): Promise<void> {
    await this.run("restart-apiserver");
  }

  async stopApiserver(): Promise<void> {
    await this.run("stop-apiserver");
  }

  async startApiserver(): Promise<void> {
    await this.run("start-apiserver");
  }

  /** The end of the apiserver's log, for failure messages. */
  async log(): Promise<string> {
    const text = await readFile(join(this.dir, "kube-mini.log"), "utf8").catch((err: Error) => err.message);
    return text.slice(-4000);
  }

  /** Stops both processes and removes the directory; never throws. */
  async stop(): Promise<void> {
    await this.run("stop").catch((err: Error) => console.warn(`kube-mini stop: ${err.message}`));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(command: string, ...args: string[]): Promise<string> {
    const script = join(resolve(KUBE_MINI ?? ""), "run.sh");
    const { stdout } = await promisify(execFile)(script, [command, this.dir, ...args], {
      timeout: RUN_TIMEOUT_MS,
      env: { ...process.env, READY_TIMEOUT: String(READY_TIMEOUT_S) },
    }).catch((err: Error & { stderr?: string; stdout?: string }) => {
      throw new Error(`run.sh ${command}: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
    });
    return stdout;
  }
}
