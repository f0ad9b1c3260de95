// End to end through a real API server (kube-mini, $KUBE_MINI), the parts that outlive a request:
// the leader Lease (taken over from a vanished holder, renewed, handed to the other replica when
// the leader stops), readiness that follows the caches' first sync, and watches that survive an
// etcd compaction and an apiserver restart. Two replicas of the built server run against one
// cluster; the tests run in order and share it.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../src/cluster/live/kube-client.js";
import { microTime } from "../../src/cluster/live/lease.js";
import { E2eCluster, NAMES } from "./cluster.js";
import { RELEASE_NAMESPACE } from "./install.js";
import { kubeMiniSkipReason } from "./kube-mini.js";
import type { Replica } from "./replica.js";
import { until } from "./until.js";

if (kubeMiniSkipReason) console.info(`kube-mini end-to-end tests SKIPPED: ${kubeMiniSkipReason}`);

/** The chart's leaderElection defaults (values.yaml leaves them to the config schema). */
const LEASE_DURATION_S = 15;

/** How often the node watch ended other than at its own timeout (dropped, or expired: 410). */
const nodeWatchRestarts = async (replica: Replica) =>
  (await replica.metric("cvm_admission_watch_restarts_total", { resource: "nodes", reason: "error" })) +
  (await replica.metric("cvm_admission_watch_restarts_total", { resource: "nodes", reason: "expired" }));
const nodesBelowMinimum = (replica: Replica) =>
  replica.metric("cvm_admission_nodes", { verdict: "below-minimum" });

describe.skipIf(kubeMiniSkipReason !== undefined)("through kube-mini: leadership, readiness, watches", () => {
  let cluster: E2eCluster;
  let first: Replica;
  let second: Replica;
  /** The leader after the hand-over. */
  let third: Replica;

  beforeAll(async () => {
    cluster = await E2eCluster.start();
    // What a replica that crashed a moment ago leaves behind: a Lease it renewed just now.
    await new KubeClient(cluster.kubeConfig).request(
      "POST",
      `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NAMESPACE}/leases`,
      {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: NAMES.lease, namespace: RELEASE_NAMESPACE },
          spec: {
            holderIdentity: "vanished-replica",
            leaseDurationSeconds: LEASE_DURATION_S,
            acquireTime: microTime(new Date()),
            renewTime: microTime(new Date()),
            leaseTransitions: 0,
          },
        },
        timeoutMs: 10_000,
      },
    );
    await cluster.createNode("node-a", "6.8.0-1059-azure");
    first = await cluster.startReplica();
    cluster.route(first);
  }, 180_000);

  /** Waits until every replica's node cache holds `count` nodes below the kernel minimum. */
  const seenByEveryReplica = async (count: number, timeoutMs = 20_000) => {
    for (const [i, replica] of [first, second].entries())
      await until(
        `replica ${i + 1}'s cache holds ${count} nodes below the minimum`,
        async () => expect(await nodesBelowMinimum(replica)).toBe(count),
        timeoutMs,
      );
  };

  afterEach(async ({ task }) => {
    if (task.result?.state === "fail") console.warn(await cluster.diagnostics());
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("takes over the Lease of a vanished holder after its duration, then writes the certificates at once", async () => {
    const started = Date.now();
    const identity = await first.leads((LEASE_DURATION_S + 15) * 1000);
    expect(Date.now() - started).toBeGreaterThan((LEASE_DURATION_S - 5) * 1000);
    const lease = await cluster.lease();
    expect(lease.spec?.holderIdentity).toBe(identity);
    expect(lease.spec?.leaseTransitions).toBe(1);
    // The leader's certificate pass runs when it wins the lease, not a whole interval later.
    await until(
      "the certificate Secret",
      () => cluster.core.readNamespacedSecret({ name: NAMES.secret, namespace: RELEASE_NAMESPACE }),
      10_000,
    );
    await cluster.mountCertificates();
    await until("readyz 200", async () => expect((await first.probe("/readyz")).status).toBe(200));
    await cluster.nodeLabelled("node-a", "true");
  }, 60_000);

  it("renews the Lease while it leads", async () => {
    const before = await cluster.lease();
    const renewed = await until("two renewals", async () => {
      const now = await cluster.lease();
      expect(now.spec?.holderIdentity).toBe(before.spec?.holderIdentity);
      expect(Number(now.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
      expect(new Date(now.spec!.renewTime!).getTime()).toBeGreaterThan(
        new Date(before.spec!.renewTime!).getTime() + 2000,
      );
      return now;
    });
    expect(renewed.spec?.leaseTransitions).toBe(1);
  });

  it("a replica started while the apiserver is down stays unready until its caches have listed", async () => {
    await cluster.kubeMini.stopApiserver();
    try {
      second = await cluster.startReplica();
      for (let i = 0; i < 3; i++) {
        expect((await second.probe("/healthz")).status).toBe(200);
        expect((await second.probe("/readyz")).status).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await cluster.kubeMini.startApiserver();
    }
    // Usually within seconds; the bound covers a list the starting apiserver holds until our
    // list timeout (60 s), which was seen here now and then.
    await until(
      "the second replica ready",
      async () => expect((await second.probe("/readyz")).status).toBe(200),
      80_000,
    );
    cluster.route(first, second);
  }, 130_000);

  it("watches survive an etcd compaction: not even restarted, and later changes reach every replica's cache", async () => {
    // Every cache past any relist the outage above left pending: each replica has seen a new node.
    await cluster.createNode("node-before-compaction", "4.4.0-210-generic");
    await seenByEveryReplica(1);
    const restartsBefore = await Promise.all([first, second].map(nodeWatchRestarts));
    await cluster.kubeMini.compact();
    await cluster.createNode("node-after-compaction", "4.4.0-210-generic");
    await cluster.nodeLabelled("node-after-compaction", "false");
    await seenByEveryReplica(2);
    expect(await Promise.all([first, second].map(nodeWatchRestarts))).toEqual(restartsBefore);
  }, 60_000);

  it("watches survive an apiserver restart: resumed, and later changes reach every replica's cache", async () => {
    const restartsBefore = await Promise.all([first, second].map(nodeWatchRestarts));
    await cluster.kubeMini.restartApiserver();
    await cluster.setKernel("node-a", "3.10.0-1160.el7.x86_64");
    await cluster.nodeLabelled("node-a", "false", 60_000);
    await seenByEveryReplica(3, 60_000);
    // The restart ended every watch: each resumed (from its resourceVersion, or relisting after 410
    // when that is older than the new watch cache), none waited for a timeout.
    const restartsAfter = await Promise.all([first, second].map(nodeWatchRestarts));
    restartsAfter.forEach((after, i) => expect(after).toBeGreaterThan(restartsBefore[i]!));
  }, 120_000);

  it("hands the Lease to the other replica when the leader stops, and the new leader labels", async () => {
    const holder = (await cluster.lease()).spec?.holderIdentity;
    const [leader, follower] = first.leadership().identity === holder ? [first, second] : [second, first];
    expect(leader.leadership()).toEqual({ leading: true, identity: holder });
    expect(follower.leadership().leading).toBe(false);
    const transitions = (await cluster.lease()).spec?.leaseTransitions ?? 0;

    cluster.route(follower);
    expect(await cluster.stopReplica(leader)).toBe(0);
    // A clean stop releases the Lease: the follower need not wait out its duration.
    const successor = await follower.leads(10_000);
    const lease = await cluster.lease();
    expect(lease.spec?.holderIdentity).toBe(successor);
    expect(lease.spec?.leaseTransitions).toBe(transitions + 1);
    await cluster.createNode("node-b", "6.1.0-18-amd64");
    await cluster.nodeLabelled("node-b", "true");
    third = follower;
  }, 60_000);

  it("takes over from a leader that crashed (SIGKILL: no release) once the lease duration has passed", async () => {
    const successor = await cluster.startReplica();
    const crashed = (await cluster.lease()).spec?.holderIdentity;
    expect(third.leadership()).toEqual({ leading: true, identity: crashed });
    await until("the new replica's caches synced", async () =>
      expect((await successor.probe("/readyz")).status).toBe(200),
    );
    expect(successor.leadership().leading).toBe(false);
    const transitions = (await cluster.lease()).spec?.leaseTransitions ?? 0;

    const killed = Date.now();
    await cluster.stopReplica(third, "SIGKILL");
    const identity = await successor.leads((LEASE_DURATION_S + 15) * 1000);
    expect(Date.now() - killed).toBeGreaterThan((LEASE_DURATION_S - 5) * 1000);
    const lease = await cluster.lease();
    expect(lease.spec?.holderIdentity).toBe(identity);
    expect(lease.spec?.leaseTransitions).toBe(transitions + 1);
    await cluster.createNode("node-c", "3.10.0-1160.el7.x86_64");
    await cluster.nodeLabelled("node-c", "false");
  }, 90_000);
});
