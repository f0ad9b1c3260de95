// `cvm-admission certs generate`: writes ca.crt, tls.crt and tls.key for a webhook Service (or local
// development). Existing files are kept unless --force; a forced replacement keeps the CA that
// signed the replaced tls.crt in ca.crt, so a caBundle taken from the new ca.crt trusts replicas
// still serving the old certificate while the new files roll out (the rollover src/certs/rotation.ts
// does for the self-managed mode).

import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  generateCertificateSet,
  readCertificateSet,
  writeCertificateSet,
  CA_FILE,
  CERT_FILE,
  KEY_FILE,
} from "../certs/files.js";
import { CertificateError, subjectAltNames } from "../certs/generate.js";
import { parseCertificate, splitPemBundle } from "../certs/inspect.js";
import { defineCommand, UsageError } from "./args.js";

const FILES = [CA_FILE, CERT_FILE, KEY_FILE];

/** The CA of the set in `dir` that issued its tls.crt, while it is still valid; else undefined. */
async function issuerToKeep(dir: string, now: Date): Promise<string | undefined> {
  try {
    const old = await readCertificateSet(dir);
    const cert = parseCertificate(old.certPem, CERT_FILE);
    return splitPemBundle(old.caPem).find((pem) => {
      const ca = parseCertificate(pem, CA_FILE);
      return cert.checkIssued(ca) && cert.verify(ca.publicKey) && new Date(ca.validTo) > now;
    });
  } catch {
    return undefined; // nothing usable was there: nothing to keep trusting
  }
}

export const certsCommand = defineCommand(
  {
    name: "certs generate",
    usage: "[flags]",
    description:
      "Write a CA and a serving certificate (ca.crt, tls.crt, tls.key) for the webhook Service.\n\n" +
      "The serving certificate covers NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local plus\n" +
      "every --dns and --ip. Files already in --out are kept unless --force; with --force, ca.crt\n" +
      "holds the new CA followed by the CA that signed the replaced tls.crt, so a caBundle taken from\n" +
      "it trusts old and new replicas during the rollout. Once every replica serves the new tls.crt,\n" +
      "the old CA can be left out of the caBundle (it is the second certificate in ca.crt).",
    flags: {
      out: { type: "string", value: "DIR", default: "certs", help: "directory to write to" },
      service: {
        type: "string",
        value: "NAME",
        default: "cvm-admission",
        help: "the webhook Service's name",
      },
      namespace: { type: "string", value: "NS", default: "cvm-system", help: "the Service's namespace" },
      dns: { type: "string", value: "NAME", multiple: true, default: [], help: "another DNS name to cover" },
      ip: { type: "string", value: "ADDRESS", multiple: true, default: [], help: "an IP address to cover" },
      force: { type: "boolean", help: "replace existing files in --out (keeping the old CA in ca.crt)" },
    },
    examples: [
      "cvm-admission certs generate --out certs --dns localhost --ip 127.0.0.1",
      "cvm-admission certs generate --out /tmp/cvm --service cvm-admission --namespace cvm-system --force",
    ],
    exitCodes: {
      0: "written",
      2: "usage error, or --out already holds certificate files and --force was not given",
    },
  },
  async (values, io) => {
    const identity = {
      serviceName: values.service,
      namespace: values.namespace,
      dnsNames: values.dns,
      ipAddresses: values.ip,
    };
    try {
      subjectAltNames(identity);
    } catch (err) {
      if (err instanceof CertificateError) throw new UsageError(`certs generate: ${err.message}`);
      throw err;
    }
    const existing = FILES.filter((f) => existsSync(join(values.out, f)));
    if (existing.length > 0 && !values.force)
      throw new UsageError(
        `certs generate: ${values.out} already holds ${existing.join(", ")}; pass --force to replace them`,
      );
    const now = new Date();
    const keep = existing.length > 0 ? await issuerToKeep(values.out, now) : undefined;
    const set = await generateCertificateSet(identity, now);
    await writeCertificateSet(values.out, keep ? { ...set, caPem: set.caPem + keep } : set);
    const cert = parseCertificate(set.certPem);
    io.stdout(
      `wrote ${FILES.map((f) => join(values.out, f)).join(", ")}\n` +
        `serving certificate for ${cert.subjectAltName ?? ""}\n` +
        `valid until ${cert.validTo}; serial ${cert.serialNumber}\n` +
        (keep
          ? `ca.crt keeps the previous CA (valid until ${parseCertificate(keep).validTo}) after the new one, ` +
            `so replicas still serving the old tls.crt stay trusted\n`
          : ""),
    );
    return 0;
  },
);
