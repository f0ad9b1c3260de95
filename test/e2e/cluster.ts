// One end-to-end installation per test file: the Service's address, kube-mini dialing our webhooks
// there, the chart installed, and the replicas the test starts. stop() ends all of it (replicas,
// Service, apiserver, etcd), also after a failed start, so a broken run leaves no process behind.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Lease,
  type V1Node,
} from "@kubernetes/client-node";
import { ensureBuilt } from "../faults/built-cli.js";
import { installChart, RELEASE_NAMESPACE, type Installed } from "./install.js";
import { KubeMini } from "./kube-mini.js";
import { Replica } from "./replica.js";
import { projectSecret } from "./secret-volume.js";
import { ServiceEndpoints } from "./service.js";
import { until } from "./until.js";

/** The chart's names with its default values (values.yaml: release cvm-admission). */
export const NAMES = {
  service: "cvm-admission",
  secret: "cvm-admission-tls",
  lease: "cvm-admission-leader",
  webhookConfiguration: "cvm-admission",
} as const;

export class E2eCluster {
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly kubeConfig: KubeConfig;
  /** The pods' shared `tls` volume: every replica mounts the same Secret. */
  readonly certsDir: string;
  private readonly replicas = new Set<Replica>();

  private constructor(
    readonly kubeMini: KubeMini,
    readonly service: ServiceEndpoints,
    readonly installed: Installed,
    private readonly dir: string,
  ) {
    this.kubeConfig = kubeMini.kubeConfig();
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = this.kubeConfig.makeApiClient(CoordinationV1Api);
    this.certsDir = join(dir, "tls");
    mkdirSync(this.certsDir);
  }

  static async start(): Promise<E2eCluster> {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), "cvm-e2e-"));
    const service = await ServiceEndpoints.start();
    let kubeMini: KubeMini | undefined;
    try {
      kubeMini = await KubeMini.start([
        `--service-addr=${RELEASE_NAMESPACE}/${NAMES.service}=127.0.0.1:${service.port}`,
      ]);
      const installed = await installChart(kubeMini.kubeConfig(), dir);
      return new E2eCluster(kubeMini, service, installed, dir);
    } catch (err) {
      await kubeMini?.stop();
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Starts one more replica of the Deployment (not yet behind the Service: see route()). */
  async startReplica(env: Record<string, string> = {}): Promise<Replica> {
    const replica = await Replica.start({
      configFile: this.installed.configFile,
      kubeconfigPath: this.kubeMini.kubeconfigPath,
      certsDir: this.certsDir,
      env,
    });
    this.replicas.add(replica);
    return replica;
  }

  /** Puts these replicas behind the Service (the endpoints controller's job, done by hand). */
  route(...replicas: Replica[]): void {
    this.service.route(replicas.map((r) => r.port));
  }

  async stopReplica(replica: Replica, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    this.replicas.delete(replica);
    return replica.stop(signal);
  }

  /** Waits for the leader's certificate Secret and projects it into the replicas' volume. */
  async mountCertificates(): Promise<void> {
    await until("the certificate Secret", async () => {
      if (!(await projectSecret(this.kubeConfig, RELEASE_NAMESPACE, NAMES.secret, this.certsDir)))
        throw new Error(`no Secret ${RELEASE_NAMESPACE}/${NAMES.secret} yet`);
    });
  }

  async lease(): Promise<V1Lease> {
    return this.coordination.readNamespacedLease({ name: NAMES.lease, namespace: RELEASE_NAMESPACE });
  }

  /** A node as its kubelet registers it: status with the kernel in nodeInfo. */
  async createNode(name: string, kernelVersion: string): Promise<V1Node> {
    return this.core.createNode({
      body: {
        metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
        status: {
          nodeInfo: {
            kernelVersion,
            operatingSystem: "linux",
            osImage: "Ubuntu 24.04 LTS",
            architecture: "amd64",
            bootID: "b",
            containerRuntimeVersion: "containerd://2.0.5",
            kubeProxyVersion: "",
            kubeletVersion: "v1.36.4",
            machineID: "m",
            systemUUID: "s",
          },
        },
      },
    });
  }

  /** What a kubelet reports after a reboot into another kernel: nodes/status, not the node itself. */
  async setKernel(name: string, kernelVersion: string): Promise<void> {
    await this.core.patchNodeStatus({
      name,
      body: [{ op: "replace", path: "/status/nodeInfo/kernelVersion", value: kernelVersion }],
    });
  }

  /** Resolves once the node's eligibility label has the value (bounded). */
  async nodeLabelled(name: string, eligible: "true" | "false", timeoutMs = 20_000): Promise<V1Node> {
    return until(
      `node ${name} labelled cvm.dev/eligible=${eligible}`,
      async () => {
        const node = await this.core.readNode({ name });
        const label = node.metadata?.labels?.["cvm.dev/eligible"];
        if (label !== eligible) throw new Error(`label is ${String(label)}`);
        return node;
      },
      timeoutMs,
    );
  }

  /** What to read when a test failed: the end of each replica's output and of the apiserver's log. */
  async diagnostics(): Promise<string> {
    const replicas = [...this.replicas].map((r, i) => `--- replica ${i + 1} (port ${r.port}):\n${r.tail()}`);
    return [...replicas, `--- kube-mini log:\n${await this.kubeMini.log()}`].join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all([...this.replicas].map((replica) => replica.stop("SIGKILL")));
    this.replicas.clear();
    await this.service.stop();
    await this.kubeMini.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
