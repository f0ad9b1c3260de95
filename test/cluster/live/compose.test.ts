// startLiveCluster as `serve` uses it, against the fake apiserver (it stands in for the apiserver
// because none can run here): caches sync, this replica leads and labels, a denial becomes an
// Event, stop releases the lease. Then the backstop validators reading through the live view,
// where a CVM pod the watch has not delivered yet is found by one direct read.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../src/kube/admission-review.js";
import { bindingRequest } from "../../policies/nodes/support.js";
import { startLiveCluster, type LiveCluster } from "../../../src/cluster/live/index.js";
import { KubeClient } from "../../../src/cluster/live/kube-client.js";
import { denyBindingToIneligibleNode } from "../../../src/policies/nodes/binding.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.js";
import { eventually, node, pod, testConfig } from "./support.js";

let api: FakeApiServer;
let live: LiveCluster;
const config = testConfig();
config.leaderElection.namespace = "cvm-system";
config.leaderElection.retryPeriodSeconds = 1;

beforeEach(async () => {
  api = await startFakeApiServer();
  api.put("nodes", node("good", "6.8.0-1015-aws"));
  api.put("nodes", node("old", "4.15.0-1034-aws"));
  live = startLiveCluster(config, silentLogger, new KubeClient(api.kubeConfig()));
  await eventually(() => expect(live.view.isSynced()).toBe(true));
});

afterEach(async () => {
  await live.stop();
  await api.close();
});

describe("startLiveCluster", () => {
  it("leads, labels nodes, records denials, and releases the lease on stop", async () => {
    await eventually(() => expect(live.elector.isLeader()).toBe(true));
    await eventually(() =>
      expect(api.get("nodes", "old")?.metadata?.labels?.["cvm.dev/eligible"]).toBe("false"),
    );
    live.recorder.recordDenial({ namespace: "work", podName: "vm", message: "denied" });
    await live.recorder.flush();
    expect(api.list("events")).toHaveLength(1);
    await live.stop();
    const lease = api.get("leases", config.leaderElection.leaseName, "cvm-system");
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe("");
  });
});

describe("startLiveCluster without leader election", () => {
  it("labels nodes as the sole leader from start to stop", async () => {
    const alone = testConfig();
    alone.leaderElection.enabled = false;
    const single = startLiveCluster(alone, silentLogger, new KubeClient(api.kubeConfig()));
    try {
      expect(single.elector.isLeader()).toBe(true);
      await eventually(() =>
        expect(api.get("nodes", "old")?.metadata?.labels?.["cvm.dev/eligible"]).toBe("false"),
      );
    } finally {
      await single.stop();
    }
    expect(single.elector.isLeader()).toBe(false);
    expect(
      api.requests.filter(
        (r) => r.path.includes("/leases") && r.method !== "GET" && !r.path.includes("cvm-system"),
      ),
    ).toEqual([]);
  });
});

describe("backstop through the live view", () => {
  it("finds an uncached CVM pod with one direct read and denies its binding to a 4.x node", async () => {
    api.stallWatches(); // the pod's ADDED event does not reach the cache
    api.put("pods", pod("work", "vm", true));
    api.put("pods", pod("work", "web", false));
    expect(live.view.cvmPod("work", "vm")).toBeUndefined();
    const ctx = (request: AdmissionRequest) => ({ request, view: live.view, config });

    const denied = await denyBindingToIneligibleNode(ctx(bindingRequest("vm", "old")));
    expect(denied.allowed).toBe(false);
    expect(denied.allowed === false && denied.reasons[0]).toMatch(
      /^CVM pod work\/vm cannot be bound to node old: kernel "4\.15\.0-1034-aws"/,
    );
    expect((await denyBindingToIneligibleNode(ctx(bindingRequest("web", "old")))).allowed).toBe(true);
    const reads = api.requests.filter((r) => r.path.startsWith("/api/v1/namespaces/work/pods/"));
    expect(reads.map((r) => r.path)).toEqual([
      "/api/v1/namespaces/work/pods/vm",
      "/api/v1/namespaces/work/pods/web",
    ]);

    const before = api.requests.length;
    expect((await denyBindingToIneligibleNode(ctx(bindingRequest("web", "good")))).allowed).toBe(true);
    expect(api.requests.length).toBe(before); // eligible cached node: no request at all
  });
});
