// The certificate directory layout (ca.crt, tls.crt, tls.key: the keys of a kubernetes.io/tls
// Secret, so a mounted Secret and a local folder look the same) and the development set that
// `serve` creates on the embedded default.

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CertificateError,
  generateCertificateAuthority,
  issueServingCertificate,
  subjectAltNames,
  type ServingIdentity,
} from "./generate.js";
import { checkServingPair, isDueForRenewal, parseCertificate, splitPemBundle } from "./inspect.js";

export const CA_FILE = "ca.crt";
export const CERT_FILE = "tls.crt";
export const KEY_FILE = "tls.key";

export interface CertificateSet {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Writes each file to a temporary name and renames it, so a reader never sees half a file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}

export async function writeCertificateSet(dir: string, set: CertificateSet): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Key first: a watcher that sees the new certificate before its key ignores the mismatch anyway.
  await writeAtomically(join(dir, KEY_FILE), set.keyPem, 0o600);
  await writeAtomically(join(dir, CERT_FILE), set.certPem, 0o644);
  await writeAtomically(join(dir, CA_FILE), set.caPem, 0o644);
}

export async function readCertificateSet(dir: string): Promise<CertificateSet> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name), "utf8");
    } catch (err) {
      throw new CertificateError(
        `cannot read ${join(dir, name)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  // Read together, but a failure is reported for the first file in this order, not whichever
  // read happened to fail first, so the message is the same every time.
  const settled = await Promise.allSettled([read(CA_FILE), read(CERT_FILE), read(KEY_FILE)]);
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  const [caPem, certPem, keyPem] = settled.map((result) => (result as PromiseFulfilledResult<string>).value);
  return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
}

/** Names a development certificate covers: the Service names plus local access. */
export const DEV_IDENTITY: ServingIdentity = {
  serviceName: "cvm-admission",
  namespace: "default",
  dnsNames: ["localhost"],
  ipAddresses: ["127.0.0.1", "::1"],
};

/** Why a certificate set in `dir` cannot be reused, or undefined when it can. */
async function reasonToRegenerate(
  dir: string,
  identity: ServingIdentity,
  now: Date,
): Promise<string | undefined> {
  let set: CertificateSet;
  try {
    set = await readCertificateSet(dir);
  } catch (err) {
    return (err as Error).message;
  }
  try {
    const { dnsNames, ipAddresses } = subjectAltNames(identity);
    const caPems = splitPemBundle(set.caPem);
    const cert = checkServingPair(set.certPem, set.keyPem, {
      now,
      caPems,
      hosts: [...dnsNames, ...ipAddresses],
    });
    if (isDueForRenewal(cert, now)) return `tls.crt is due for renewal (expires ${cert.validTo})`;
    const ca = parseCertificate(caPems[0] ?? "", "ca.crt");
    if (isDueForRenewal(ca, now)) return `ca.crt is due for renewal (expires ${ca.validTo})`;
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Generates a fresh CA and serving certificate for the identity. */
export async function generateCertificateSet(
  identity: ServingIdentity,
  now = new Date(),
): Promise<CertificateSet> {
  const ca = await generateCertificateAuthority({ now });
  const serving = await issueServingCertificate(ca, identity, { now });
  return { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
}

export interface EnsureResult {
  /** true when new files were written; false when the existing ones were reused. */
  created: boolean;
  /** Why new files were written. */
  reason?: string;
}

/**
 * Makes sure `dir` holds a usable development set (ca.crt, tls.crt, tls.key): reuses valid files,
 * and regenerates all three when any is missing, broken, not covering the names, or due for
 * renewal. The CA key is never kept on disk, so a renewal also replaces the CA.
 */
export async function ensureDevCertificates(
  dir: string,
  identity: ServingIdentity = DEV_IDENTITY,
  now = new Date(),
): Promise<EnsureResult> {
  const reason = await reasonToRegenerate(dir, identity, now);
  if (reason === undefined) return { created: false };
  await writeCertificateSet(dir, await generateCertificateSet(identity, now));
  return { created: true, reason };
}

export interface ServingPair {
  cert: string;
  key: string;
  /** true when the files were missing or unusable and a throwaway pair stands in for them. */
  placeholder: boolean;
}

/**
 * The pair to start the HTTPS server with. In a cluster the Secret volume may still be empty
 * (self-managed and cert-manager fill it after the pods start): the server then starts on a
 * throwaway self-signed pair, which kubelet's HTTPS probes accept and the apiserver never trusts,
 * and readiness waits until watchServingCertificate has loaded the real one.
 */
export async function initialServingPair(dir: string, identity: ServingIdentity): Promise<ServingPair> {
  try {
    const set = await readCertificateSet(dir);
    checkServingPair(set.certPem, set.keyPem);
    return { cert: set.certPem, key: set.keyPem, placeholder: false };
  } catch {
    const set = await generateCertificateSet(identity);
    return { cert: set.certPem, key: set.keyPem, placeholder: true };
  }
}
