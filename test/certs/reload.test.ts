// Hot reload against a real HTTPS server (the product's own startHttpsServer) on loopback:
// rotations under keep-alive load lose no request, Secret-volume symlink swaps are seen through
// fs.watch alone, and a bad or half-written pair never replaces the one being served.

import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateCertificateSet, writeCertificateSet, type CertificateSet } from "../../src/certs/files.js";
import { generateCertificateAuthority, issueServingCertificate } from "../../src/certs/generate.js";
import { watchServingCertificate, type CertificateWatch } from "../../src/certs/reload.js";
import { startHttpsServer, type RunningServer } from "../../src/server/https.js";
import { registry } from "../../src/telemetry/metrics.js";

const identity = {
  serviceName: "cvm-admission",
  namespace: "test",
  dnsNames: ["localhost"],
  ipAddresses: ["127.0.0.1"],
};

let dir: string;
let running: RunningServer | undefined;
let watcher: CertificateWatch | undefined;
const logLines: string[] = [];
const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cvm-reload-"));
  logLines.length = 0;
});
afterEach(async () => {
  watcher?.close();
  watcher = undefined;
  await running?.shutdown(100);
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function serve(set: CertificateSet, delayMs = 0): Promise<RunningServer> {
  running = await startHttpsServer(
    (_req, res) => {
      setTimeout(() => res.end("ok"), delayMs);
    },
    { tls: { cert: set.certPem, key: set.keyPem }, port: 0, host: "127.0.0.1", maxConnections: 100 },
  );
  return running;
}

/** The serial a brand-new connection is served, verified against the given CAs. */
function servedSerial(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/", ca, agent: false }, (res) => {
      const serial = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().serialNumber;
      res.resume();
      res.on("end", () => resolve(serial));
    });
    req.on("error", reject);
  });
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;

describe("watchServingCertificate", () => {
  it("a rotation while requests are in flight loses none", async () => {
    // Three rotations: a new leaf from the same CA, then one from a new CA (the client trusts both,
    // as the apiserver does during an overlap), then another from that CA.
    const oldCa = await generateCertificateAuthority();
    const newCa = await generateCertificateAuthority();
    const initial = await issueServingCertificate(oldCa, identity);
    const rotations = [
      { ca: oldCa, leaf: await issueServingCertificate(oldCa, identity) },
      { ca: newCa, leaf: await issueServingCertificate(newCa, identity) },
      { ca: newCa, leaf: await issueServingCertificate(newCa, identity) },
    ];
    const trusted = [oldCa.certPem, newCa.certPem];
    const first = { caPem: oldCa.certPem, certPem: initial.certPem, keyPem: initial.keyPem };
    await writeCertificateSet(dir, first);
    const server = await serve(first, 3);
    watcher = await watchServingCertificate({ dir, server: server.server, logger, pollIntervalMs: 60_000 });

    const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: trusted });
    let epoch = 0;
    let stop = false;
    let completed = 0;
    const failures: string[] = [];
    const epochsBySocket = new Map<object, Set<number>>();
    const worker = async () => {
      while (!stop) {
        await new Promise<void>((resolve) => {
          const req = https.request(
            { host: "127.0.0.1", port: server.port, method: "POST", path: "/mutate", agent },
            (res) => {
              const body: Buffer[] = [];
              res.on("data", (c: Buffer) => body.push(c));
              res.on("end", () => {
                if (res.statusCode === 200 && Buffer.concat(body).toString() === "ok") completed++;
                else failures.push(`status ${res.statusCode}`);
                const epochs = epochsBySocket.get(res.socket) ?? new Set<number>();
                epochs.add(epoch);
                epochsBySocket.set(res.socket, epochs);
                resolve();
              });
            },
          );
          req.on("error", (err) => {
            failures.push(err.message);
            resolve();
          });
          req.end("{}");
        });
      }
    };
    const workers = Array.from({ length: 8 }, worker);

    await new Promise((r) => setTimeout(r, 150));
    for (const { ca, leaf } of rotations) {
      await writeCertificateSet(dir, { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem });
      expect(await watcher.check()).toBe(true);
      epoch++;
      expect(await servedSerial(server.port, trusted)).toBe(serialOf(leaf.certPem));
      await new Promise((r) => setTimeout(r, 150));
    }
    stop = true;
    await Promise.all(workers);
    agent.destroy();

    expect(failures).toEqual([]);
    expect(completed).toBeGreaterThan(50);
    // Keep-alive connections opened before the first swap were still used after the last one.
    const spanning = [...epochsBySocket.values()].filter(
      (epochs) => epochs.has(0) && epochs.has(rotations.length),
    );
    expect(spanning.length).toBeGreaterThan(0);
    expect(watcher.current()?.serialNumber).toBe(serialOf(rotations[2]!.leaf.certPem));
  });

  it("follows a Kubernetes Secret volume update (..data symlink swap) through fs.watch alone", async () => {
    const first = await generateCertificateSet(identity);
    const second = await generateCertificateSet(identity);
    const writeVersion = async (name: string, set: CertificateSet) => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, "tls.crt"), set.certPem);
      await writeFile(join(dir, name, "tls.key"), set.keyPem);
    };
    await writeVersion("..2026_11_28_v1", first);
    await symlink("..2026_11_28_v1", join(dir, "..data"));
    await symlink("..data/tls.crt", join(dir, "tls.crt"));
    await symlink("..data/tls.key", join(dir, "tls.key"));

    const server = await serve(first);
    const reloaded = new Promise<X509Certificate>((resolve) => {
      void watchServingCertificate({
        dir,
        server: server.server,
        logger,
        pollIntervalMs: 600_000, // no poll in this test: only the file event can trigger the reload
        debounceMs: 50,
        onReload: (cert) => {
          if (cert.serialNumber === serialOf(second.certPem)) resolve(cert);
        },
      }).then((w) => (watcher = w));
    });
    await new Promise((r) => setTimeout(r, 100));
    // What kubelet's atomic writer does: new timestamped dir, ..data_tmp symlink, rename over ..data.
    await writeVersion("..2026_11_28_v2", second);
    await symlink("..2026_11_28_v2", join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));

    await reloaded;
    expect(await servedSerial(server.port, [second.caPem])).toBe(serialOf(second.certPem));
  });

  it("keeps serving the old pair when the new one is partial or broken, and logs it once", async () => {
    const first = await generateCertificateSet(identity);
    await writeCertificateSet(dir, first);
    const server = await serve(first);
    watcher = await watchServingCertificate({ dir, server: server.server, logger, pollIntervalMs: 60_000 });

    const next = await generateCertificateSet(identity);
    await writeFile(join(dir, "tls.crt"), next.certPem); // the key has not arrived yet
    expect(await watcher.check()).toBe(false);
    expect(await watcher.check()).toBe(false);
    const warnings = logLines.filter((l) => l.includes("keeping the current one"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("tls.key does not belong to tls.crt");
    expect(await servedSerial(server.port, [first.caPem])).toBe(serialOf(first.certPem));

    await writeFile(join(dir, "tls.key"), "-----BEGIN PRIVATE KEY-----\ntruncated");
    expect(await watcher.check()).toBe(false);
    await rm(join(dir, "tls.key"));
    expect(await watcher.check()).toBe(false);
    expect(await servedSerial(server.port, [first.caPem])).toBe(serialOf(first.certPem));

    await writeFile(join(dir, "tls.key"), next.keyPem);
    expect(await watcher.check()).toBe(true);
    expect(await servedSerial(server.port, [next.caPem])).toBe(serialOf(next.certPem));
  });

  it("starts without files (an optional Secret volume not yet filled) and loads them when they appear", async () => {
    const placeholder = await generateCertificateSet(identity);
    const server = await serve(placeholder);
    const missing = join(dir, "later");
    watcher = await watchServingCertificate({
      dir: missing,
      server: server.server,
      logger,
      pollIntervalMs: 50,
    });
    expect(watcher.current()).toBeUndefined();
    const real = await generateCertificateSet(identity);
    await writeCertificateSet(missing, real);
    await expect.poll(() => watcher?.current()?.serialNumber, { timeout: 5000 }).toBe(serialOf(real.certPem));
    expect(await servedSerial(server.port, [real.caPem])).toBe(serialOf(real.certPem));
  });

  it("publishes the served certificate's expiry as a gauge", async () => {
    const set = await generateCertificateSet(identity);
    await writeCertificateSet(dir, set);
    const server = await serve(set);
    watcher = await watchServingCertificate({ dir, server: server.server, logger });
    const metric = await registry
      .getSingleMetric("cvm_admission_certificate_expiry_timestamp_seconds")!
      .get();
    const serving = metric.values.find((v) => v.labels["certificate"] === "serving");
    expect(serving?.value).toBe(Date.parse(new X509Certificate(set.certPem).validTo) / 1000);
    expect(await readFile(join(dir, "tls.crt"), "utf8")).toBe(set.certPem);
  });
});
