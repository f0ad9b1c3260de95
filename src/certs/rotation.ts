// The self-managed certificate lifecycle as a pure step function: given what the Secret holds and
// what the cluster shows, the next state. One step at a time, so every intermediate state is one
// the apiserver can live with:
//   created        no usable CA: a fresh CA and serving certificate, bundle = [CA]
//   caAdded        the CA is due: a new CA joins the bundle (newest first) but signs nothing yet
//   servingIssued  the serving certificate is due, broken, or not from the current CA: a new one,
//                  only once both webhook configurations trust the bundle holding its CA
//   oldCaRemoved   every ready replica serves the current certificate: older CAs leave the bundle
// Expired CAs leave the bundle at any step.

import type { X509Certificate } from "node:crypto";
import {
  generateCertificateAuthority,
  issueServingCertificate,
  subjectAltNames,
  type CertifiedKey,
  type ServingIdentity,
} from "./generate.js";
import { checkServingPair, isDueForRenewal, parseCertificate, splitPemBundle } from "./inspect.js";

export interface StoredCertificates {
  /** PEM CAs the webhook configurations must trust, newest first (the caBundle). */
  caBundle: string;
  /** The CA that signs serving certificates (always the first of the bundle). */
  issuer: CertifiedKey;
  serving: CertifiedKey;
}

export interface RotationFacts {
  now: Date;
  /** Both webhook configurations carry exactly `caBundle` of the stored certificates. */
  webhooksTrustBundle: boolean;
  /** SHA-256 fingerprints of what each ready replica serves; undefined when not known. */
  servedFingerprints: string[] | undefined;
}

export type RotationStep = "created" | "caAdded" | "servingIssued" | "oldCaRemoved" | "unchanged";

export interface RotationResult {
  step: RotationStep;
  reason: string;
  certificates: StoredCertificates;
}

/** The colon-separated upper-case SHA-256 of a certificate, as tls's getPeerCertificate() reports it. */
export function fingerprint(certPem: string): string {
  return parseCertificate(certPem).fingerprint256;
}

const bundleOf = (pems: string[]) => pems.join("");

/** Why the stored CA cannot keep signing, or undefined when it can. */
function issuerProblem(stored: StoredCertificates, now: Date): string | undefined {
  try {
    const ca = checkServingPair(stored.issuer.certPem, stored.issuer.keyPem, { now });
    if (!ca.ca) return "the stored issuer is not a CA";
    const bundle = splitPemBundle(stored.caBundle);
    if (bundle.length === 0 || fingerprint(bundle[0]!) !== fingerprint(stored.issuer.certPem))
      return "the CA bundle does not start with the issuer";
  } catch (err) {
    return `the stored CA is unusable: ${(err as Error).message}`;
  }
  return undefined;
}

/** Why the serving certificate must be replaced, or undefined when it can stay. */
function servingProblem(
  stored: StoredCertificates,
  identity: ServingIdentity,
  now: Date,
): { reason: string; broken: boolean } | undefined {
  const { dnsNames, ipAddresses } = subjectAltNames(identity);
  let cert: X509Certificate;
  try {
    cert = checkServingPair(stored.serving.certPem, stored.serving.keyPem, {
      now,
      hosts: [...dnsNames, ...ipAddresses],
    });
  } catch (err) {
    return { reason: (err as Error).message, broken: true };
  }
  const issuer = parseCertificate(stored.issuer.certPem);
  if (!(cert.checkIssued(issuer) && cert.verify(issuer.publicKey)))
    return { reason: "the serving certificate is not from the current CA", broken: false };
  if (isDueForRenewal(cert, now))
    return { reason: `the serving certificate is due for renewal (expires ${cert.validTo})`, broken: false };
  return undefined;
}

export async function nextCertificates(
  stored: StoredCertificates | undefined,
  identity: ServingIdentity,
  facts: RotationFacts,
): Promise<RotationResult> {
  const { now } = facts;
  const problem = stored === undefined ? "no certificates stored yet" : issuerProblem(stored, now);
  if (stored === undefined || problem !== undefined) {
    const issuer = await generateCertificateAuthority({ now });
    const serving = await issueServingCertificate(issuer, identity, { now });
    return {
      step: "created",
      reason: problem ?? "",
      certificates: { caBundle: issuer.certPem, issuer, serving },
    };
  }

  const bundle = splitPemBundle(stored.caBundle);
  const live = bundle.filter((pem) => now.getTime() < Date.parse(parseCertificate(pem).validTo));
  const pruned = live.length !== bundle.length;
  const current: StoredCertificates = pruned ? { ...stored, caBundle: bundleOf(live) } : stored;

  if (live.length === 1 && isDueForRenewal(parseCertificate(stored.issuer.certPem), now)) {
    const issuer = await generateCertificateAuthority({ now });
    return {
      step: "caAdded",
      reason: "the CA is due for renewal; the new CA joins the bundle before it signs anything",
      certificates: { ...current, issuer, caBundle: bundleOf([issuer.certPem, ...live]) },
    };
  }

  const servingIssue = servingProblem(current, identity, now);
  if (servingIssue !== undefined) {
    // A broken certificate is replaced at once; a working one only when the apiserver already
    // trusts the CA of its successor, so no replica ever serves something the apiserver rejects.
    if (servingIssue.broken || facts.webhooksTrustBundle) {
      const serving = await issueServingCertificate(current.issuer, identity, { now });
      return { step: "servingIssued", reason: servingIssue.reason, certificates: { ...current, serving } };
    }
    return {
      step: pruned ? "oldCaRemoved" : "unchanged",
      reason: `${servingIssue.reason}; waiting until the webhook configurations trust the bundle`,
      certificates: current,
    };
  }

  if (live.length > 1) {
    const expected = fingerprint(current.serving.certPem);
    const served = facts.servedFingerprints;
    if (served !== undefined && served.length > 0 && served.every((f) => f === expected)) {
      return {
        step: "oldCaRemoved",
        reason: `all ${served.length} ready replicas serve the current certificate`,
        certificates: { ...current, caBundle: current.issuer.certPem },
      };
    }
    return {
      step: pruned ? "oldCaRemoved" : "unchanged",
      reason: "waiting until every replica serves the current certificate",
      certificates: current,
    };
  }
  return {
    step: pruned ? "oldCaRemoved" : "unchanged",
    reason: pruned ? "expired CAs left the bundle" : "",
    certificates: current,
  };
}
