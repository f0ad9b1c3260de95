// Hot reload of the serving certificate: every replica watches its tls.crt/tls.key and swaps the
// server's secure context in place (server.setSecureContext). Open connections keep their session;
// new handshakes get the new pair. fs.watch on the directory catches Kubernetes Secret volume
// updates (an atomic swap of the `..data` symlink) and plain rewrites; a periodic poll covers
// filesystems where fs.watch is silent. A missing, half-written or mismatched pair is logged once
// and ignored: the server keeps the pair it has.

import { createHash, type X509Certificate } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecureContextOptions } from "node:tls";
import type { Logger } from "../telemetry/logger.js";
import { CERT_FILE, KEY_FILE } from "./files.js";
import { checkServingPair } from "./inspect.js";
import { recordExpiry } from "./metrics.js";

export interface CertificateWatchOptions {
  dir: string;
  server: { setSecureContext(options: SecureContextOptions): void };
  logger: Logger;
  /** Poll period, the fallback when no file event arrives (controller-runtime's certwatcher: 10 s). */
  pollIntervalMs?: number;
  /** Events within this window coalesce into one check (a Secret update fires several). */
  debounceMs?: number;
  /** Options other than cert/key the server was created with; setSecureContext replaces all of them. */
  secureContextOptions?: SecureContextOptions;
  onReload?: (cert: X509Certificate) => void;
}

export interface CertificateWatch {
  /** Reads the files now; true when a new pair was applied. */
  check(): Promise<boolean>;
  /** The certificate being served, once a valid pair has been seen. */
  current(): X509Certificate | undefined;
  close(): void;
}

export const DEFAULT_SECURE_CONTEXT: SecureContextOptions = { minVersion: "TLSv1.2" };

async function readPair(dir: string): Promise<{ cert: Buffer; key: Buffer } | string> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, CERT_FILE)), readFile(join(dir, KEY_FILE))]);
    return { cert, key };
  } catch (err) {
    return `cannot read the certificate pair in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** Starts watching; resolves after the first check, so the caller knows whether a pair is loaded. */
export async function watchServingCertificate(options: CertificateWatchOptions): Promise<CertificateWatch> {
  const { dir, server, logger, pollIntervalMs = 10_000, debounceMs = 250 } = options;
  const base = options.secureContextOptions ?? DEFAULT_SECURE_CONTEXT;
  let appliedDigest: string | undefined;
  let rejectedDigest: string | undefined;
  let current: X509Certificate | undefined;
  let closed = false;
  let queue: Promise<boolean> = Promise.resolve(false);

  const reject = (digest: string, reason: string) => {
    if (digest !== rejectedDigest)
      logger.warn({ dir, reason }, "certificate pair not loaded; keeping the current one");
    rejectedDigest = digest;
    return false;
  };

  const checkOnce = async (): Promise<boolean> => {
    if (closed) return false;
    const pair = await readPair(dir);
    if (typeof pair === "string") return reject(`unreadable:${pair}`, pair);
    const digest = createHash("sha256").update(pair.cert).update("\0").update(pair.key).digest("hex");
    if (digest === appliedDigest) return false;
    let cert: X509Certificate;
    try {
      cert = checkServingPair(pair.cert, pair.key);
      server.setSecureContext({ ...base, cert: pair.cert, key: pair.key });
    } catch (err) {
      return reject(digest, (err as Error).message);
    }
    appliedDigest = digest;
    rejectedDigest = undefined;
    current = cert;
    recordExpiry("serving", cert);
    logger.info({ dir, serial: cert.serialNumber, notAfter: cert.validTo }, "serving certificate loaded");
    options.onReload?.(cert);
    return true;
  };
  // One check at a time: a poll tick and a file event never interleave their reads.
  const check = () => (queue = queue.then(checkOnce, checkOnce));

  let debounce: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), debounceMs);
    debounce.unref();
  };

  let watcher: FSWatcher | undefined;
  const ensureWatcher = () => {
    if (watcher || closed) return;
    try {
      watcher = watch(dir, { persistent: false }, schedule);
      watcher.on("error", (err) => {
        logger.debug(
          { dir, err: err.message },
          "certificate directory watch failed; polling until it can be re-established",
        );
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // the directory may appear later (an optional Secret volume); the poll retries
    }
  };

  ensureWatcher();
  const poll = setInterval(() => {
    ensureWatcher();
    void check();
  }, pollIntervalMs);
  poll.unref();
  await check();

  return {
    check,
    current: () => current,
    close: () => {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}
