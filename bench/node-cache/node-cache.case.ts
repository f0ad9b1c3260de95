// The node-cache cases of `npm run bench` (issue 3): 5,000 realistic Node objects listed into the
// live cluster view from the fake apiserver (test/support/fake-apiserver.ts, which stands in for
// the real apiserver: none can run here), the retained heap per cached node measured after full
// collections; then 10,000 node watch events (kernel upgrades, ~6 KB each) applied, timed from
// the last event queued to the last one seen by the view. Both sides run in this process, so it
// includes the fake apiserver sending (not encoding) the events: an upper bound for the view.
// Writes its figures to $BENCH_NODE_CACHE_OUT.

import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { V1Node } from "@kubernetes/client-node";
import { expect, it } from "vitest";
import { KubeClient } from "../../src/cluster/live/kube-client.js";
import { LiveClusterView } from "../../src/cluster/live/live-view.js";
import type { Config } from "../../src/config/config.js";
import { defaultConfig } from "../../src/config/load.js";
import { startFakeApiServer } from "../../test/support/fake-apiserver.js";

const NODES = 5000;
const WATCH_EVENTS = 10_000;

setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;
function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

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

/** Lists and watches a few nodes once, so code compiled on first use is not counted per node. */
async function warmUp(config: Config): Promise<void> {
  const api = await startFakeApiServer();
  for (let i = 0; i < 200; i++) api.put("nodes", realisticNode(i, "6.1.0"));
  const view = new LiveClusterView(new KubeClient(api.kubeConfig()), config);
  view.start();
  while (!view.isSynced()) await new Promise((resolve) => setTimeout(resolve, 5));
  for (let i = 0; i < 200; i++) api.put("nodes", realisticNode(i, "6.2.0"));
  while (view.node(realisticNode(199, "").metadata!.name!)?.kernelVersion !== "6.2.0") {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await view.stop();
  await api.close();
}

it("caches 5,000 listed nodes in bounded memory and applies 10,000 watch events", async () => {
  const config = defaultConfig();
  await warmUp(config);
  const api = await startFakeApiServer();
  for (let i = 0; i < NODES; i++)
    api.put("nodes", realisticNode(i, `6.1.${115 + (i % 50)}-126.${i}.amzn2023.x86_64`));

  const heapBefore = heapAfterGc();
  const listStarted = process.hrtime.bigint();
  const view = new LiveClusterView(new KubeClient(api.kubeConfig()), config);
  view.start();
  while (!view.isSynced()) await new Promise((resolve) => setTimeout(resolve, 5));
  const listMs = Number(process.hrtime.bigint() - listStarted) / 1e6;
  const heapDeltaBytes = heapAfterGc() - heapBefore;
  expect([...view.nodes()]).toHaveLength(NODES);

  // Every event changes one node's kernel, so each one is a change the view passes on.
  let seen = 0;
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const unsubscribe = view.onNodeChange(() => {
    if (++seen === WATCH_EVENTS) allSeen();
  });
  // All events are produced first (the fake apiserver runs in this process and its encoding would
  // otherwise be counted), then the view receives, parses and applies them: that is what is timed.
  // The view's watch must be open first, or the fake would replay the events from its history.
  while (api.openWatches("nodes") === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const producing = process.hrtime.bigint();
  for (let e = 0; e < WATCH_EVENTS; e++) {
    api.put("nodes", realisticNode(e % NODES, `6.${6 + Math.floor(e / NODES)}.${e}-aws`));
  }
  const produceMs = Number(process.hrtime.bigint() - producing) / 1e6;
  // Start the clock on a collected heap: the garbage of producing is not the view's.
  heapAfterGc();
  const eventsSent = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await done;
  const cpu = process.cpuUsage(cpuBefore);
  const watchEventsMs = Number(process.hrtime.bigint() - eventsSent) / 1e6;
  unsubscribe();
  expect(view.node(realisticNode(NODES - 1, "").metadata!.name!)?.kernelVersion).toBe(
    `6.7.${WATCH_EVENTS - 1}-aws`,
  );

  await view.stop();
  await api.close();
  const result = {
    nodes: NODES,
    listMs: Math.round(listMs),
    heapDeltaBytes,
    bytesPerNode: Math.round(heapDeltaBytes / NODES),
    watchEvents: WATCH_EVENTS,
    watchEventsMs: Math.round(watchEventsMs),
    watchEventsCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    produceMs: Math.round(produceMs),
  };
  console.log(JSON.stringify(result));
  if (process.env["BENCH_NODE_CACHE_OUT"])
    writeFileSync(process.env["BENCH_NODE_CACHE_OUT"], JSON.stringify(result));
});
