// Leader election and node labelling with two replicas against one fake apiserver
// (test/support/fake-apiserver.ts stands in for the apiserver because none can run here; it
// checks every Lease it stores against the strict Kubernetes schema and MicroTime format).

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeClient } from "../../../src/cluster/live/kube-client.js";
import { labelNodesWhileLeading } from "../../../src/cluster/live/labeller.js";
import { LeaderElector, leaderElectorFromConfig, microTime } from "../../../src/cluster/live/lease.js";
import { ELIGIBILITY_ANNOTATION, type LiveClusterView } from "../../../src/cluster/live/live-view.js";
import type { Config } from "../../../src/config/config.js";
import { ConfigError } from "../../../src/config/load.js";
import { startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.js";
import { schemaErrors } from "../../support/k8s-schema.js";
import { eventually, liveView, node, testConfig } from "./support.js";

const LEASES = "/apis/coordination.k8s.io/v1/namespaces/cvm-system/leases";

interface Replica {
  view: LiveClusterView;
  elector: LeaderElector;
  detach: () => void;
}

let api: FakeApiServer;
let replicas: Replica[];

beforeEach(async () => {
  api = await startFakeApiServer({
    validate: (resource, object) => (resource === "leases" ? schemaErrors(object) : []),
  });
  api.put("nodes", node("good", "6.8.0-1015-aws"));
  api.put("nodes", node("old", "4.19.0-11-amd64"));
  api.put("nodes", node("win", "10.0.20348.3328", "windows"));
  replicas = [];
});

afterEach(async () => {
  for (const r of replicas) {
    r.detach();
    await r.elector.stop();
    await r.view.stop();
  }
  await api.close();
});

function replica(identity: string, config: Config = testConfig()): Replica {
  const client = new KubeClient(api.kubeConfig());
  const view = liveView(api, config);
  const elector = new LeaderElector({
    client,
    namespace: "cvm-system",
    name: "cvm-admission-leader",
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 600,
    retryPeriodMs: 100,
  });
  const detach = labelNodesWhileLeading(elector, view, client, config);
  const r = { view, elector, detach };
  replicas.push(r);
  view.start();
  elector.start();
  return r;
}

const patches = () => api.requests.filter((r) => r.method === "PATCH");
const labelOf = (name: string) => api.get("nodes", name)?.metadata?.labels?.["cvm.dev/eligible"];
const annotationOf = (name: string) =>
  api.get("nodes", name)?.metadata?.annotations?.[ELIGIBILITY_ANNOTATION];
const holder = () =>
  (api.get("leases", "cvm-admission-leader", "cvm-system")?.spec as { holderIdentity?: string })
    ?.holderIdentity;

describe("leader election", () => {
  it("elects one of two replicas; only the leader labels nodes, each once", async () => {
    const a = replica("a");
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    const b = replica("b");
    await eventually(() => {
      expect(labelOf("good")).toBe("true");
      expect(labelOf("old")).toBe("false");
      expect(labelOf("win")).toBe("false");
    });
    expect(annotationOf("old")).toMatch(
      /^below-minimum: kernel "4\.19\.0-11-amd64" \(4\.19\) is below the minimum 5\.4/,
    );
    expect(annotationOf("win")).toMatch(/^not-linux: /);
    // Let the label changes come back through the watches: nothing more is written.
    await new Promise((r) => setTimeout(r, 400));
    expect(
      patches()
        .map((p) => p.path)
        .sort(),
    ).toEqual(["/api/v1/nodes/good", "/api/v1/nodes/old", "/api/v1/nodes/win"]);
    expect(b.elector.isLeader()).toBe(false);
    expect(holder()).toBe("a");
    const lease = api.get("leases", "cvm-admission-leader", "cvm-system")!;
    expect(schemaErrors(lease)).toEqual([]);
    expect((lease.spec as { renewTime: string }).renewTime).toMatch(/\.\d{6}Z$/);
  });

  it("relabels a node whose kernel changed (after a reboot), writing metadata only", async () => {
    const a = replica("a");
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    await eventually(() => expect(patches()).toHaveLength(3)); // good, old, win
    await eventually(() => expect(labelOf("win")).toBe("false"));
    const before = patches().length;
    const upgraded = node("old", "5.15.0-1020-azure");
    upgraded.metadata!.labels = { ...api.get("nodes", "old")!.metadata!.labels };
    upgraded.metadata!.annotations = { ...api.get("nodes", "old")!.metadata!.annotations };
    api.put("nodes", upgraded);
    await eventually(() => expect(labelOf("old")).toBe("true"));
    expect(patches()).toHaveLength(before + 1);
    expect(api.get("nodes", "old")!.status).toEqual(upgraded.status);
  });

  it("hands over at once when the leader stops cleanly, and the successor labels", async () => {
    const a = replica("a");
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    const b = replica("b");
    await eventually(() => expect(patches()).toHaveLength(3));
    await a.elector.stop();
    expect(a.elector.isLeader()).toBe(false);
    const stoppedAt = Date.now();
    await eventually(() => expect(b.elector.isLeader()).toBe(true));
    // Released (empty holder): no need to wait out the 1 s lease.
    expect(Date.now() - stoppedAt).toBeLessThan(900);
    expect(holder()).toBe("b");
    const writesBefore = patches().length;
    api.put("nodes", node("new", "3.10.0-1160.el7.x86_64"));
    await eventually(() => expect(labelOf("new")).toBe("false"));
    expect(patches()).toHaveLength(writesBefore + 1);
  });

  it("takes over a lease whose holder vanished, once the lease duration has passed", async () => {
    api.put("leases", {
      metadata: { name: "cvm-admission-leader", namespace: "cvm-system" },
      spec: {
        holderIdentity: "ghost",
        leaseDurationSeconds: 1,
        acquireTime: microTime(new Date()),
        renewTime: microTime(new Date()),
        leaseTransitions: 4,
      },
    });
    const began = Date.now();
    const b = replica("b");
    await new Promise((r) => setTimeout(r, 500));
    expect(b.elector.isLeader()).toBe(false);
    await eventually(() => expect(b.elector.isLeader()).toBe(true));
    expect(Date.now() - began).toBeGreaterThanOrEqual(1000);
    const spec = api.get("leases", "cvm-admission-leader", "cvm-system")!.spec as {
      leaseTransitions: number;
    };
    expect(spec.leaseTransitions).toBe(5);
  });

  it("steps down when it cannot renew within the renew deadline", async () => {
    const a = replica("a");
    const stopped: string[] = [];
    a.elector.onStoppedLeading(() => stopped.push("a"));
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    api.failNext(1000, 503, (r) => r.path.startsWith(LEASES));
    await eventually(() => expect(a.elector.isLeader()).toBe(false));
    expect(stopped).toEqual(["a"]);
  });

  it("writes no node at all when nodes.labels is false", async () => {
    const config = testConfig();
    config.nodes.labels = false;
    const a = replica("a", config);
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    await new Promise((r) => setTimeout(r, 300));
    expect(patches()).toEqual([]);
  });

  it("refuses timings under which two replicas could lead at once", () => {
    const client = new KubeClient(api.kubeConfig());
    const config = testConfig();
    config.leaderElection.renewDeadlineSeconds = 15; // not below the 15 s lease
    expect(() => leaderElectorFromConfig(client, config)).toThrow(ConfigError);
    expect(() => leaderElectorFromConfig(client, config)).toThrow(
      /leaseDurationSeconds \(15\) > renewDeadlineSeconds \(15\)/,
    );
    expect(leaderElectorFromConfig(client, testConfig()).isLeader()).toBe(false); // the defaults are sound
  });

  it("formats MicroTime with six fractional digits", () => {
    expect(microTime(new Date("2026-11-28T16:05:03.123Z"))).toBe("2026-11-28T16:05:03.123000Z");
  });
});
