// The self-managed lifecycle step by step on a simulated clock: creation, serving renewals from
// the same CA, and a CA rollover that keeps the old CA trusted until every replica serves the
// new certificate.

import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { splitPemBundle } from "../../src/certs/inspect.js";
import {
  fingerprint,
  nextCertificates,
  type RotationFacts,
  type StoredCertificates,
} from "../../src/certs/rotation.js";

const DAY = 24 * 60 * 60 * 1000;
const START = new Date("2026-01-01T00:00:00Z");
const identity = { serviceName: "cvm-admission", namespace: "cvm-system" };
const at = (days: number, extra: Partial<RotationFacts> = {}): RotationFacts => ({
  now: new Date(START.getTime() + days * DAY),
  webhooksTrustBundle: true,
  servedFingerprints: undefined,
  ...extra,
});
const serial = (pem: string) => new X509Certificate(pem).serialNumber;
const bundleSerials = (stored: StoredCertificates) => splitPemBundle(stored.caBundle).map(serial);

describe("nextCertificates", async () => {
  const created = await nextCertificates(undefined, identity, at(0));
  const first = created.certificates;

  it("creates a CA and a serving certificate for the Service when nothing is stored", () => {
    expect(created.step).toBe("created");
    expect(bundleSerials(first)).toEqual([serial(first.issuer.certPem)]);
    const leaf = new X509Certificate(first.serving.certPem);
    expect(leaf.verify(new X509Certificate(first.issuer.certPem).publicKey)).toBe(true);
    expect(leaf.checkHost("cvm-admission.cvm-system.svc")).toBe("cvm-admission.cvm-system.svc");
  });

  it("leaves valid certificates alone", async () => {
    const result = await nextCertificates(first, identity, at(100));
    expect(result.step).toBe("unchanged");
    expect(result.certificates).toEqual(first);
  });

  it("renews the serving certificate at two thirds of its life, from the same CA", async () => {
    const renewed = await nextCertificates(first, identity, at(250));
    expect(renewed.step).toBe("servingIssued");
    expect(renewed.reason).toMatch(/due for renewal/);
    expect(renewed.certificates.issuer).toEqual(first.issuer);
    expect(renewed.certificates.caBundle).toBe(first.caBundle);
    expect(serial(renewed.certificates.serving.certPem)).not.toBe(serial(first.serving.certPem));
  });

  it("replaces a broken serving certificate at once, and a wrong-named one", async () => {
    const broken = { ...first, serving: { ...first.serving, keyPem: first.issuer.keyPem } };
    expect((await nextCertificates(broken, identity, at(1, { webhooksTrustBundle: false }))).step).toBe(
      "servingIssued",
    );
    const renamed = await nextCertificates(first, { serviceName: "renamed", namespace: "cvm-system" }, at(1));
    expect(renamed).toMatchObject({
      step: "servingIssued",
      reason: expect.stringMatching(/not valid for renamed/),
    });
  });

  it("starts over when the stored CA is unusable", async () => {
    const result = await nextCertificates(
      { ...first, issuer: { certPem: "junk", keyPem: "junk" } },
      identity,
      at(1),
    );
    expect(result).toMatchObject({ step: "created", reason: expect.stringMatching(/stored CA is unusable/) });
  });

  it("rolls the CA over with an overlap: add, wait for trust, re-issue, wait for every replica, remove", async () => {
    // Just before the CA is due (two thirds of ten years), the serving certificate was renewed;
    // then the CA comes due.
    const old = (await nextCertificates(first, identity, at(2400))).certificates;
    expect(serial(old.serving.certPem)).not.toBe(serial(first.serving.certPem));
    const day = 2440;

    const added = await nextCertificates(old, identity, at(day));
    expect(added.step).toBe("caAdded");
    const newCa = added.certificates.issuer;
    expect(bundleSerials(added.certificates)).toEqual([serial(newCa.certPem), serial(old.issuer.certPem)]);
    expect(added.certificates.serving).toEqual(old.serving); // nothing signed by the new CA yet

    // The webhook configurations do not carry the two-CA bundle yet: no new serving certificate.
    const waiting = await nextCertificates(
      added.certificates,
      identity,
      at(day, { webhooksTrustBundle: false }),
    );
    expect(waiting).toMatchObject({
      step: "unchanged",
      reason: expect.stringMatching(/waiting until the webhook configurations trust/),
    });

    const issued = await nextCertificates(added.certificates, identity, at(day));
    expect(issued.step).toBe("servingIssued");
    expect(issued.reason).toMatch(/not from the current CA/);
    const newLeaf = new X509Certificate(issued.certificates.serving.certPem);
    expect(newLeaf.verify(new X509Certificate(newCa.certPem).publicKey)).toBe(true);
    expect(bundleSerials(issued.certificates)).toHaveLength(2);

    // One replica still serves the old certificate, or the answer is unknown: the old CA stays.
    const oldPrint = fingerprint(old.serving.certPem);
    const newPrint = fingerprint(issued.certificates.serving.certPem);
    for (const served of [[newPrint, oldPrint], [], undefined]) {
      const held = await nextCertificates(
        issued.certificates,
        identity,
        at(day, { servedFingerprints: served }),
      );
      expect(held.step).toBe("unchanged");
      expect(bundleSerials(held.certificates)).toHaveLength(2);
    }
    const trimmed = await nextCertificates(
      issued.certificates,
      identity,
      at(day, { servedFingerprints: [newPrint, newPrint] }),
    );
    expect(trimmed.step).toBe("oldCaRemoved");
    expect(bundleSerials(trimmed.certificates)).toEqual([serial(newCa.certPem)]);
    expect((await nextCertificates(trimmed.certificates, identity, at(day))).step).toBe("unchanged");
  });

  it("drops expired CAs from the bundle", async () => {
    const withOld = {
      ...first,
      caBundle:
        first.caBundle + (await nextCertificates(undefined, identity, at(-3700))).certificates.issuer.certPem,
    };
    expect(bundleSerials(withOld)).toHaveLength(2);
    const result = await nextCertificates(withOld, identity, at(1));
    expect(result.step).toBe("oldCaRemoved");
    expect(bundleSerials(result.certificates)).toEqual([serial(first.issuer.certPem)]);
  });
});
