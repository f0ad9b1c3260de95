// Shared pieces of the live-cluster tests: objects for the fake apiserver, a client and view on
// it with short timings (seconds become tens of milliseconds), and polling for convergence.

import type { V1Namespace, V1Node, V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../../src/config/config.js";
import { defaultConfig } from "../../../src/config/load.js";
import { KubeClient } from "../../../src/cluster/live/kube-client.js";
import { LiveClusterView } from "../../../src/cluster/live/live-view.js";
import type { ReflectorTiming } from "../../../src/cluster/live/reflector.js";
import type { FakeApiServer } from "../../support/fake-apiserver.js";

export const FAST: Partial<ReflectorTiming> = {
  watchSeconds: 1,
  idleGraceMs: 400,
  listTimeoutMs: 500,
  pageSize: 2,
  backoffInitialMs: 20,
  backoffMaxMs: 200,
};

export function testConfig(): Config {
  const config = defaultConfig();
  config.cluster.readTimeoutMs = 300;
  return config;
}

export function node(
  name: string,
  kernelVersion: string,
  operatingSystem = "linux",
  labels: Record<string, string> = {},
): V1Node {
  return {
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, ...labels },
      annotations: { "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: { podCIDR: "10.244.0.0/24" },
    status: {
      nodeInfo: {
        kernelVersion,
        operatingSystem,
        osImage: operatingSystem === "linux" ? "Ubuntu 22.04.4 LTS" : "Windows Server 2022 Datacenter",
        architecture: "amd64",
        bootID: "b",
        containerRuntimeVersion: "containerd://1.7.12",
        kubeProxyVersion: "v1.30.0",
        kubeletVersion: "v1.30.0",
        machineID: "m",
        systemUUID: "s",
      },
      images: [{ names: ["registry.k8s.io/pause:3.9"], sizeBytes: 321520 }],
    },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } } };
}

export function pod(ns: string, name: string, cvm: boolean, nodeName?: string): V1Pod {
  return {
    metadata: { name, namespace: ns, labels: cvm ? { "cvm.dev/enabled": "true" } : { app: name } },
    spec: { containers: [{ name: "main", image: "ubuntu:24.04" }], ...(nodeName ? { nodeName } : {}) },
  };
}

export function liveView(api: FakeApiServer, config = testConfig()): LiveClusterView {
  return new LiveClusterView(new KubeClient(api.kubeConfig()), config, { timing: FAST });
}

/** Polls until `check` stops throwing (or rethrows its last error after `timeoutMs`). */
export async function eventually(check: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export const watchRequests = (api: FakeApiServer, path: string) =>
  api.requests.filter((r) => r.path === path && r.query["watch"] === "true");
export const listRequests = (api: FakeApiServer, path: string) =>
  api.requests.filter((r) => r.path === path && r.query["watch"] === undefined);
