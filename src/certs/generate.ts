// CA and serving certificates for the webhook. Keys are RSA-2048 from node:crypto (fast, native);
// the X.509 structures are built and signed with node-forge, which signs RSA only .
// Every certificate is backdated an hour, so apiservers with a skewed clock never see
// "certificate is not yet valid", and carries a random positive serial.

import { generateKeyPair, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { promisify } from "node:util";
import forge from "node-forge";

export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 365;
/** notBefore lies this far in the past to absorb clock skew between us and the apiserver. */
export const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export class CertificateError extends Error {
  override name = "CertificateError";
}

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

export interface ServingIdentity {
  serviceName: string;
  namespace: string;
  /** Extra DNS SANs (e.g. localhost for local development). */
  dnsNames?: string[];
  /** Extra IP SANs (e.g. 127.0.0.1). */
  ipAddresses?: string[];
}

export interface ValidityOptions {
  now?: Date;
  validityDays?: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9*]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** The four names a Service answers to inside the cluster; the apiserver dials NAME.NS.svc. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  if (!DNS_LABEL.test(serviceName))
    throw new CertificateError(`service name ${JSON.stringify(serviceName)} is not a DNS label`);
  if (!DNS_LABEL.test(namespace))
    throw new CertificateError(`namespace ${JSON.stringify(namespace)} is not a DNS label`);
  const svc = `${serviceName}.${namespace}.svc`;
  return [serviceName, `${serviceName}.${namespace}`, svc, `${svc}.cluster.local`];
}

/** Every DNS and IP SAN of the identity, validated and without duplicates. */
export function subjectAltNames(identity: ServingIdentity): { dnsNames: string[]; ipAddresses: string[] } {
  const extraDns = identity.dnsNames ?? [];
  for (const name of extraDns) {
    if (!DNS_NAME.test(name)) throw new CertificateError(`DNS name ${JSON.stringify(name)} is not valid`);
  }
  const ipAddresses = identity.ipAddresses ?? [];
  for (const ip of ipAddresses) {
    if (isIP(ip) === 0) throw new CertificateError(`IP address ${JSON.stringify(ip)} is not valid`);
  }
  const dnsNames = [...new Set([...serviceDnsNames(identity.serviceName, identity.namespace), ...extraDns])];
  return { dnsNames, ipAddresses: [...new Set(ipAddresses)] };
}

const generateKeyPairAsync = promisify(generateKeyPair);

async function newRsaKey(): Promise<{
  keyPem: string;
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}> {
  const { privateKey: keyPem } = await generateKeyPairAsync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const privateKey = forge.pki.privateKeyFromPem(keyPem);
  return { keyPem, privateKey, publicKey: forge.pki.setRsaPublicKey(privateKey.n, privateKey.e) };
}

/** 16 random bytes; the first byte is 0x01-0x7f so the DER INTEGER is positive and minimal. */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString("hex");
}

function validity(cert: forge.pki.Certificate, options: ValidityOptions, defaultDays: number): void {
  const now = options.now ?? new Date();
  const days = options.validityDays ?? defaultDays;
  if (!(days > 0)) throw new CertificateError(`validity must be a positive number of days (got ${days})`);
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

/** A self-signed CA for signing serving certificates (10 years by default). */
export async function generateCertificateAuthority(
  options: ValidityOptions & { commonName?: string } = {},
): Promise<CertifiedKey> {
  const { keyPem, privateKey, publicKey } = await newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  validity(cert, options, CA_VALIDITY_DAYS);
  // A timestamp in the name keeps successive CAs distinguishable in a bundle during a rollover.
  // node-forge encodes it as a PrintableString, which Go's x509 (the apiserver) rejects for any
  // character outside [A-Za-z0-9 '()+,-./:=?]: no "@" here.
  const subject = [
    {
      name: "commonName",
      value:
        options.commonName ?? `cvm-admission-ca-${Math.floor((options.now ?? new Date()).getTime() / 1000)}`,
    },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** A serving certificate for the webhook Service, signed by the CA (1 year by default). */
export async function issueServingCertificate(
  ca: CertifiedKey,
  identity: ServingIdentity,
  options: ValidityOptions = {},
): Promise<CertifiedKey> {
  const { dnsNames, ipAddresses } = subjectAltNames(identity);
  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  try {
    caCert = forge.pki.certificateFromPem(ca.certPem);
    caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  } catch (err) {
    throw new CertificateError(
      `the CA certificate or key is not a readable RSA PEM: ${(err as Error).message}`,
    );
  }
  const { keyPem, publicKey } = await newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  validity(cert, options, SERVING_VALIDITY_DAYS);
  cert.setSubject([{ name: "commonName", value: dnsNames[2]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    {
      name: "subjectAltName",
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        ...ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
