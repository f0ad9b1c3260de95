// Certificates as a client sees them: node:crypto's X509Certificate verifies the chain, the
// names, the validity window and the serials of what node-forge built.

import { X509Certificate, createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BACKDATE_MS,
  CertificateError,
  generateCertificateAuthority,
  issueServingCertificate,
  randomSerialHex,
  serviceDnsNames,
} from "../../src/certs/generate.js";
import { checkServingPair, isDueForRenewal, renewalTime } from "../../src/certs/inspect.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-28T12:00:00Z");
const identity = { serviceName: "cvm-admission", namespace: "cvm-system" };

describe("generated certificates", async () => {
  const ca = await generateCertificateAuthority({ now: NOW });
  const serving = await issueServingCertificate(
    ca,
    { ...identity, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] },
    { now: NOW },
  );
  const caCert = new X509Certificate(ca.certPem);
  const leaf = new X509Certificate(serving.certPem);

  it("chain verifies: the leaf is issued and signed by the CA, the CA by itself", () => {
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkPrivateKey(createPrivateKey(serving.keyPem))).toBe(true);
  });

  it("names only characters a PrintableString allows, so Go's x509 (the apiserver) parses the caBundle", () => {
    for (const cert of [caCert, leaf]) {
      expect(cert.subject).toMatch(/^CN=[A-Za-z0-9 '()+,\-./:=?]+$/);
      expect(cert.issuer).toMatch(/^CN=[A-Za-z0-9 '()+,\-./:=?]+$/);
    }
  });

  it("keys are RSA-2048", () => {
    expect(leaf.publicKey.asymmetricKeyType).toBe("rsa");
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(caCert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("covers the four Service names and the extra SANs, and nothing else", () => {
    for (const host of serviceDnsNames("cvm-admission", "cvm-system"))
      expect(leaf.checkHost(host)).toBe(host);
    expect(leaf.checkHost("localhost")).toBe("localhost");
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.checkHost("cvm-admission.other.svc")).toBeUndefined();
    expect(leaf.checkIP("10.0.0.1")).toBeUndefined();
    expect(leaf.subjectAltName).toBe(
      "DNS:cvm-admission, DNS:cvm-admission.cvm-system, DNS:cvm-admission.cvm-system.svc, " +
        "DNS:cvm-admission.cvm-system.svc.cluster.local, DNS:localhost, IP Address:127.0.0.1",
    );
    expect(leaf.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
  });

  it("is backdated one hour; the CA lasts 10 years, the leaf 1 year", () => {
    expect(Date.parse(leaf.validFrom)).toBe(NOW.getTime() - BACKDATE_MS);
    expect(Date.parse(caCert.validFrom)).toBe(NOW.getTime() - BACKDATE_MS);
    expect(Date.parse(leaf.validTo)).toBe(NOW.getTime() + 365 * DAY);
    expect(Date.parse(caCert.validTo)).toBe(NOW.getTime() + 3650 * DAY);
  });

  it("is due for renewal at two thirds of its life, not before", () => {
    const due = renewalTime(leaf).getTime();
    const life = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
    expect(due).toBe(Date.parse(leaf.validFrom) + Math.round((life * 2) / 3));
    expect(isDueForRenewal(leaf, new Date(due - 1000))).toBe(false);
    expect(isDueForRenewal(leaf, new Date(due))).toBe(true);
  });

  it("passes the pair check, which names what is wrong with a bad pair", async () => {
    expect(() =>
      checkServingPair(serving.certPem, serving.keyPem, {
        now: NOW,
        caPems: [ca.certPem],
        hosts: ["cvm-admission.cvm-system.svc", "127.0.0.1"],
      }),
    ).not.toThrow();
    const other = await generateCertificateAuthority({ now: NOW });
    expect(() => checkServingPair(serving.certPem, other.keyPem, { now: NOW })).toThrow(/does not belong/);
    expect(() =>
      checkServingPair(serving.certPem, serving.keyPem, { now: NOW, caPems: [other.certPem] }),
    ).toThrow(/not signed by/);
    expect(() =>
      checkServingPair(serving.certPem, serving.keyPem, { now: new Date(NOW.getTime() + 400 * DAY) }),
    ).toThrow(/expired/);
    expect(() =>
      checkServingPair(serving.certPem, serving.keyPem, { now: NOW, hosts: ["example.com"] }),
    ).toThrow(/not valid for example.com/);
    expect(() => checkServingPair("garbage", serving.keyPem)).toThrow(CertificateError);
  });

  it("gives every certificate a distinct positive serial", async () => {
    const second = await issueServingCertificate(ca, identity, { now: NOW });
    const serials = [caCert, leaf, new X509Certificate(second.certPem)].map((c) => c.serialNumber);
    expect(new Set(serials).size).toBe(3);
    const many = Array.from({ length: 2000 }, randomSerialHex);
    expect(new Set(many).size).toBe(many.length);
    for (const serial of many) {
      expect(serial).toMatch(/^[0-9a-f]{32}$/);
      expect(parseInt(serial.slice(0, 2), 16)).toBeGreaterThanOrEqual(1);
      expect(parseInt(serial.slice(0, 2), 16)).toBeLessThanOrEqual(0x7f);
    }
  });

  it("rejects bad names clearly", async () => {
    expect(() => serviceDnsNames("Bad_Name", "ns")).toThrow(/not a DNS label/);
    await expect(issueServingCertificate(ca, { ...identity, ipAddresses: ["999.1.1.1"] })).rejects.toThrow(
      /IP address "999.1.1.1"/,
    );
    await expect(issueServingCertificate(ca, { ...identity, dnsNames: ["bad name"] })).rejects.toThrow(
      /DNS name/,
    );
    await expect(issueServingCertificate({ certPem: "x", keyPem: "y" }, identity)).rejects.toThrow(
      /not a readable RSA PEM/,
    );
  });
});
