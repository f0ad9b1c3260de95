// Reading certificates back with node:crypto: is a pair usable, is it due for renewal, what does
// a PEM bundle hold. Shared by the dev certificates, hot reload and the self-managed rotation.

import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { CertificateError } from "./generate.js";

/** Renew once two thirds of a certificate's life have passed (cert-manager's default ratio). */
export const RENEW_AT_FRACTION = 2 / 3;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in order. */
export function splitPemBundle(bundle: string): string[] {
  return (bundle.match(PEM_CERTIFICATE) ?? []).map((pem) => pem + "\n");
}

export function parseCertificate(pem: string | Buffer, what = "certificate"): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new CertificateError(`${what} is not a readable PEM certificate: ${(err as Error).message}`);
  }
}

/** The moment a certificate should be replaced. */
export function renewalTime(cert: X509Certificate): Date {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return new Date(from + (to - from) * RENEW_AT_FRACTION);
}

export function isDueForRenewal(cert: X509Certificate, now: Date = new Date()): boolean {
  return now.getTime() >= renewalTime(cert).getTime();
}

export interface PairCheck {
  now?: Date;
  /** When given, the certificate must be signed by one of these CAs. */
  caPems?: string[];
  /** When given, the certificate must be valid for every one of these host names. */
  hosts?: string[];
}

/**
 * Checks that a certificate and key belong together, are currently valid and (optionally) chain to
 * a CA and cover the hosts. Returns the parsed certificate; throws CertificateError naming the problem.
 */
export function checkServingPair(
  certPem: string | Buffer,
  keyPem: string | Buffer,
  check: PairCheck = {},
): X509Certificate {
  const cert = parseCertificate(certPem, "tls.crt");
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new CertificateError(`tls.key is not a readable private key: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) throw new CertificateError("tls.key does not belong to tls.crt");
  const now = (check.now ?? new Date()).getTime();
  if (now < Date.parse(cert.validFrom))
    throw new CertificateError(`tls.crt is not valid before ${cert.validFrom}`);
  if (now >= Date.parse(cert.validTo)) throw new CertificateError(`tls.crt expired at ${cert.validTo}`);
  if (check.caPems !== undefined) {
    const signed = check.caPems.some((pem) => {
      const ca = parseCertificate(pem, "ca.crt");
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    });
    if (!signed) throw new CertificateError("tls.crt is not signed by the CA in ca.crt");
  }
  for (const host of check.hosts ?? []) {
    const covered = isIP(host) === 0 ? cert.checkHost(host) : cert.checkIP(host);
    if (covered === undefined) throw new CertificateError(`tls.crt is not valid for ${host}`);
  }
  return cert;
}

/** True when two PEM bundles hold the same certificates, whatever their order and line endings. */
export function sameCertificates(a: string, b: string): boolean {
  const prints = (bundle: string) =>
    splitPemBundle(bundle)
      .map((pem) => parseCertificate(pem).fingerprint256)
      .sort();
  const [left, right] = [prints(a), prints(b)];
  return left.length > 0 && left.length === right.length && left.every((print, i) => print === right[i]);
}
