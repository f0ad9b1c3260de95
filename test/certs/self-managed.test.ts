// Self-managed certificates end to end on loopback: the leader's passes (manageCertificates) with
// two real HTTPS replicas that hot-reload their copy of the Secret, and a client that, like the
// apiserver, trusts exactly the webhook configurations' current caBundle and verifies every
// handshake. The Secret and the webhook configurations are in-memory stand-ins (no apiserver can
// run here); their Kubernetes adapters are tested against a fake apiserver in kube.test.ts.

import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { writeCertificateSet } from "../../src/certs/files.js";
import { splitPemBundle } from "../../src/certs/inspect.js";
import { watchServingCertificate, type CertificateWatch } from "../../src/certs/reload.js";
import type { StoredCertificates } from "../../src/certs/rotation.js";
import { manageCertificates, type SelfManagedCertificates } from "../../src/certs/self-managed.js";
import { servedFingerprints } from "../../src/certs/served.js";
import { startHttpsServer, type RunningServer } from "../../src/server/https.js";

const DAY = 24 * 60 * 60 * 1000;
const identity = { serviceName: "cvm-admission", namespace: "cvm-system" };
const SERVICE_HOST = "cvm-admission.cvm-system.svc";
const logger = pino({ level: "silent" });

interface Replica {
  dir: string;
  server: RunningServer;
  watch: CertificateWatch;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The in-memory Secret and the two webhook configurations (one webhook each). */
function fakeCluster() {
  const cluster = {
    secret: undefined as StoredCertificates | undefined,
    writes: 0,
    webhookBundles: ["", ""],
    patches: 0,
    store: {
      read: async () => cluster.secret && structuredClone(cluster.secret),
      write: async (next: StoredCertificates) => {
        cluster.secret = structuredClone(next);
        cluster.writes++;
      },
    },
    webhooks: {
      read: async () => [...cluster.webhookBundles],
      patch: async (bundle: string) => {
        cluster.webhookBundles = [bundle, bundle];
        cluster.patches++;
      },
    },
  };
  return cluster;
}

/** What kubelet does for a Secret volume: copy the Secret's current keys into the pod's directory. */
async function syncVolume(dir: string, secret: StoredCertificates): Promise<void> {
  await writeCertificateSet(dir, {
    caPem: secret.caBundle,
    certPem: secret.serving.certPem,
    keyPem: secret.serving.keyPem,
  });
}

async function startReplica(secret: StoredCertificates): Promise<Replica> {
  const dir = await mkdtemp(join(tmpdir(), "cvm-replica-"));
  await syncVolume(dir, secret);
  const server = await startHttpsServer((_req, res) => res.end("ok"), {
    tls: { cert: secret.serving.certPem, key: secret.serving.keyPem },
    port: 0,
    host: "127.0.0.1",
    maxConnections: 100,
  });
  const watch = await watchServingCertificate({ dir, server: server.server, logger, pollIntervalMs: 60_000 });
  cleanups.push(async () => {
    watch.close();
    await server.shutdown(100);
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, server, watch };
}

/** One admission-style call: a fresh handshake verified against the given CA bundle and the Service name. */
function call(port: number, caBundle: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/validate",
        servername: SERVICE_HOST,
        ca: splitPemBundle(caBundle),
        agent: false,
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}

function leader(
  cluster: ReturnType<typeof fakeCluster>,
  clock: { now: Date },
  replicas: () => Replica[],
  isLeader = () => true,
): SelfManagedCertificates {
  const manager = manageCertificates({
    identity,
    store: cluster.store,
    webhooks: cluster.webhooks,
    servedFingerprints: () =>
      servedFingerprints(
        replicas().map((r) => ({ host: "127.0.0.1", port: r.server.port })),
        SERVICE_HOST,
      ),
    isLeader,
    logger,
    intervalMs: 3_600_000,
    now: () => clock.now,
  });
  cleanups.push(() => manager.close());
  return manager;
}

describe("self-managed certificates", () => {
  it("rolls the CA over while the apiserver keeps calling: old and new CA trusted until every replica serves the new certificate", async () => {
    // The simulated history ends at the real present, so real TLS verification accepts what is served.
    const start = Date.now() - 2445 * DAY;
    const clock = { now: new Date(start) };
    const cluster = fakeCluster();
    let replicas: Replica[] = [];
    const manager = leader(cluster, clock, () => replicas);

    expect(await manager.reconcile()).toEqual(["created"]);
    expect(cluster.webhookBundles).toEqual([cluster.secret!.caBundle, cluster.secret!.caBundle]);
    const oldCa = cluster.secret!.issuer.certPem;

    // Day 2400: the serving certificate has long expired and is replaced; the CA is not due yet.
    clock.now = new Date(start + 2400 * DAY);
    expect(await manager.reconcile()).toEqual(["servingIssued"]);
    expect(cluster.secret!.issuer.certPem).toBe(oldCa);
    replicas = [await startReplica(cluster.secret!), await startReplica(cluster.secret!)];

    // The apiserver: calls both replicas back to back, trusting whatever caBundle is configured now.
    let stop = false;
    let calls = 0;
    const failures: string[] = [];
    const apiserver = (async () => {
      while (!stop) {
        for (const replica of replicas) {
          await call(replica.server.port, cluster.webhookBundles[0]!).then(
            () => void calls++,
            (err: Error) => void failures.push(err.message),
          );
        }
      }
    })();
    const settle = () => new Promise((r) => setTimeout(r, 100));
    await settle();

    // Day 2440: the CA is due. One pass adds the new CA to the bundle, patches both webhook
    // configurations, and only then issues a serving certificate from the new CA.
    clock.now = new Date(start + 2440 * DAY);
    expect(await manager.reconcile()).toEqual(["caAdded", "servingIssued"]);
    const newCa = cluster.secret!.issuer.certPem;
    expect(newCa).not.toBe(oldCa);
    expect(splitPemBundle(cluster.webhookBundles[0]!)).toHaveLength(2);
    expect(cluster.webhookBundles[1]).toBe(cluster.webhookBundles[0]);
    // Without the overlap the call would fail: the replicas still serve the old CA's certificate.
    await expect(call(replicas[0]!.server.port, newCa)).rejects.toThrow(/certificate/);
    await settle();

    // Kubelet updates the volumes one by one; the old CA stays until both serve the new certificate.
    expect(await manager.reconcile()).toEqual([]);
    await syncVolume(replicas[0]!.dir, cluster.secret!);
    await replicas[0]!.watch.check();
    await settle();
    expect(await manager.reconcile()).toEqual([]);
    expect(splitPemBundle(cluster.webhookBundles[0]!)).toHaveLength(2);
    await syncVolume(replicas[1]!.dir, cluster.secret!);
    await replicas[1]!.watch.check();
    await settle();
    expect(await manager.reconcile()).toEqual(["oldCaRemoved"]);
    expect(cluster.webhookBundles).toEqual([cluster.secret!.caBundle, cluster.secret!.caBundle]);
    expect(splitPemBundle(cluster.webhookBundles[0]!)).toHaveLength(1);
    await settle();

    stop = true;
    await apiserver;
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(20);
    await call(replicas[1]!.server.port, newCa);
  });

  it("repairs caBundle drift (e.g. after helm upgrade), and a replica that is not the leader writes nothing", async () => {
    const clock = { now: new Date() };
    const cluster = fakeCluster();
    let leading = false;
    const manager = leader(
      cluster,
      clock,
      () => [],
      () => leading,
    );

    expect(await manager.reconcile()).toEqual([]);
    expect(cluster.writes + cluster.patches).toBe(0);

    leading = true;
    expect(await manager.reconcile()).toEqual(["created"]);
    expect(cluster.patches).toBe(1);
    expect(await manager.reconcile()).toEqual([]);
    expect(cluster.patches).toBe(1); // in step: no patch

    cluster.webhookBundles = ["", cluster.secret!.caBundle]; // the mutating configuration lost its caBundle
    expect(await manager.reconcile()).toEqual([]);
    expect(cluster.patches).toBe(2);
    expect(cluster.webhookBundles).toEqual([cluster.secret!.caBundle, cluster.secret!.caBundle]);
    expect(cluster.writes).toBe(1);
  });

  it("a failing pass is retried by the next one, not fatal", async () => {
    const clock = { now: new Date() };
    const cluster = fakeCluster();
    let failNext = true;
    const patch = cluster.webhooks.patch;
    cluster.webhooks.patch = async (bundle: string) => {
      if (failNext) {
        failNext = false;
        throw new Error("apiserver unavailable");
      }
      await patch(bundle);
    };
    const manager = leader(cluster, clock, () => []);
    await expect(manager.reconcile()).rejects.toThrow(/apiserver unavailable/);
    expect(await manager.reconcile()).toEqual([]); // the Secret was written; this pass only repairs the bundle
    expect(cluster.webhookBundles[0]).toBe(cluster.secret!.caBundle);
  });
});
