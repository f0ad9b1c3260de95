// The node-cache cases of `npm run bench` (issue 3): 5,000 realistic Node objects listed into the
// live cluster view from the fake apiserver (test/support/fake-apiserver.ts, which stands in for
// the real apiserver: none can run here), the retained heap per cached node measured after full
// collections; then 10,000 node watch events (kernel upgrades, ~6 KB each) applied, timed from
// the first to the last one the view applies, with the view's CPU time. The fake runs here, the
// view in its own process (view-process.mjs, built code), so neither figure includes the fake's.
// Writes its figures to $BENCH_NODE_CACHE_OUT.

import { writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { V1Node } from "@kubernetes/client-node";
import { expect, it } from "vitest";
import { startFakeApiServer } from "../../test/support/fake-apiserver.js";

const NODES = 5000;
const WATCH_EVENTS = 10_000;

/** A node as a cloud provider's kubelet reports it: ~6 KB of JSON, of which we keep four fields. */
function realisticNode(i: number, kernelVersion: string): V1Node {
  const name = `ip-10-${(i >> 8) & 255}-${i & 255}-${i % 7}.eu-west-1.compute.internal`;
  const now = new Date("2026-11-28T12:00:00Z");
  return {
    metadata: {
      name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "m6i.2xlarge",
        "beta.kubernetes.io/os": "linux",
        "eks.amazonaws.com/nodegroup": `workspaces-${i % 12}`,
        "failure-domain.beta.kubernetes.io/region": "eu-west-1",
        "failure-domain.beta.kubernetes.io/zone": `eu-west-1${"abc"[i % 3]}`,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m6i.2xlarge",
        "topology.kubernetes.io/region": "eu-west-1",
        "topology.kubernetes.io/zone": `eu-west-1${"abc"[i % 3]}`,
        "cvm.dev/eligible": "true",
      },
      annotations: {
        "alpha.kubernetes.io/provided-node-ip": `10.0.${(i >> 8) & 255}.${i & 255}`,
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        "cvm.dev/eligibility": `kernel ${kernelVersion} >= 5.4`,
      },
    },
    spec: { providerID: `aws:///eu-west-1a/i-0${i.toString(16).padStart(16, "0")}` },
    status: {
      addresses: [
        { type: "InternalIP", address: `10.0.${(i >> 8) & 255}.${i & 255}` },
        { type: "Hostname", address: name },
        { type: "InternalDNS", address: name },
      ],
      allocatable: { cpu: "7910m", "ephemeral-storage": "95551679124", memory: "31482476Ki", pods: "58" },
      capacity: { cpu: "8", "ephemeral-storage": "104845292Ki", memory: "32500344Ki", pods: "58" },
      conditions: ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"].map((type) => ({
        type,
        status: type === "Ready" ? "True" : "False",
        lastHeartbeatTime: now,
        lastTransitionTime: now,
        reason: type === "Ready" ? "KubeletReady" : `KubeletHasNo${type}`,
        message: type === "Ready" ? "kubelet is posting ready status" : `kubelet has no ${type}`,
      })),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images: Array.from({ length: 20 }, (_, k) => ({
        names: [
          `123456789012.dkr.ecr.eu-west-1.amazonaws.com/workspace-image-${k}@sha256:${String(k).repeat(64).slice(0, 64)}`,
          `123456789012.dkr.ecr.eu-west-1.amazonaws.com/workspace-image-${k}:v1.${k}.0`,
        ],
        sizeBytes: 100_000_000 + k * 1_000_003,
      })),
      nodeInfo: {
        architecture: "amd64",
        bootID: `b00710d-${i}`,
        containerRuntimeVersion: "containerd://1.7.22",
        kernelVersion,
        kubeProxyVersion: "v1.31.2-eks-7f9249a",
        kubeletVersion: "v1.31.2-eks-7f9249a",
        machineID: `ec2${i.toString(16).padStart(29, "0")}`,
        operatingSystem: "linux",
        osImage: "Amazon Linux 2023.6.20241121",
        systemUUID: `ec2${i.toString(16).padStart(5, "0")}-0000-0000-0000-000000000000`,
      },
    },
  };
}

/** The view's process: JSON commands in, JSON answers out (see view-process.mjs). */
function startViewProcess(kubeconfigPath: string) {
  const script = fileURLToPath(new URL("./view-process.mjs", import.meta.url));
  const args = ["--expose-gc", script, kubeconfigPath];
  // On the server's CPU, away from this process (the fake apiserver) when the bench pins it.
  const pinned = process.env["BENCH_VIEW_CPU"];
  const child = pinned
    ? spawn("taskset", ["-c", pinned, process.execPath, ...args], { stdio: ["pipe", "pipe", "inherit"] })
    : spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    send(command: object): void {
      child.stdin!.write(JSON.stringify(command) + "\n");
    },
    async next<T>(): Promise<T> {
      const { value, done } = await answers.next();
      if (done) throw new Error("the view process ended early");
      return JSON.parse(value as string) as T;
    },
    exited: new Promise((resolve) => child.once("exit", resolve)),
  };
}

it("caches 5,000 listed nodes in bounded memory and applies 10,000 watch events", async () => {
  const api = await startFakeApiServer();
  for (let i = 0; i < NODES; i++)
    api.put("nodes", realisticNode(i, `6.1.${115 + (i % 50)}-126.${i}.amzn2023.x86_64`));
  const view = startViewProcess(api.kubeconfigPath);

  view.send({ cmd: "list" });
  const list = await view.next<{ listMs: number; heapDeltaBytes: number; nodes: number }>();
  expect(list.nodes).toBe(NODES);

  // The view's watch must be open first, or the fake would replay the events from its history.
  while (api.openWatches("nodes") === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  view.send({ cmd: "watch", count: WATCH_EVENTS });
  expect(await view.next<{ ready: boolean }>()).toEqual({ ready: true });
  // Every event changes one node's kernel, so each one is a change the view passes on.
  const producing = process.hrtime.bigint();
  for (let e = 0; e < WATCH_EVENTS; e++) {
    api.put("nodes", realisticNode(e % NODES, `6.${6 + Math.floor(e / NODES)}.${e}-aws`));
  }
  const produceMs = Number(process.hrtime.bigint() - producing) / 1e6;
  const watch = await view.next<{ watchEventsMs: number; watchEventsCpuMs: number }>();

  view.send({ cmd: "stop" });
  await view.exited;
  await api.close();
  const result = {
    nodes: NODES,
    listMs: Math.round(list.listMs),
    heapDeltaBytes: list.heapDeltaBytes,
    bytesPerNode: Math.round(list.heapDeltaBytes / NODES),
    watchEvents: WATCH_EVENTS,
    watchEventsMs: Math.round(watch.watchEventsMs),
    watchEventsCpuMs: Math.round(watch.watchEventsCpuMs),
    produceMs: Math.round(produceMs),
  };
  console.log(JSON.stringify(result));
  if (process.env["BENCH_NODE_CACHE_OUT"])
    writeFileSync(process.env["BENCH_NODE_CACHE_OUT"], JSON.stringify(result));
});
