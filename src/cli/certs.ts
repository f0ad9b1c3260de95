// `cvm-admission certs generate --out DIR --service NAME --namespace NS [--dns N]... [--ip A]...`:
// writes ca.crt, tls.crt and tls.key for a webhook Service (or local development).

import { join } from "node:path";
import { generateCertificateSet, writeCertificateSet, CA_FILE, CERT_FILE, KEY_FILE } from "../certs/files.js";
import { CertificateError, subjectAltNames } from "../certs/generate.js";
import { parseCertificate } from "../certs/inspect.js";
import { parseCommandArgs, UsageError } from "./args.js";
import type { Command } from "./io.js";

const USAGE =
  "certs generate [--out DIR] [--service NAME] [--namespace NS] [--dns NAME]... [--ip ADDRESS]...\n" +
  "  defaults: --out certs --service cvm-admission --namespace cvm-system";

export const certsCommand: Command = async (args, io) => {
  const [action, ...rest] = args;
  if (action !== "generate")
    throw new UsageError(`certs: unknown action ${JSON.stringify(action ?? "")}\nusage: ${USAGE}`);
  const { values } = parseCommandArgs("certs generate", rest, {
    out: { type: "string", default: "certs" },
    service: { type: "string", default: "cvm-admission" },
    namespace: { type: "string", default: "cvm-system" },
    dns: { type: "string", multiple: true, default: [] },
    ip: { type: "string", multiple: true, default: [] },
  });
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
  const set = await generateCertificateSet(identity);
  await writeCertificateSet(values.out, set);
  const cert = parseCertificate(set.certPem);
  io.stdout(
    `wrote ${[CA_FILE, CERT_FILE, KEY_FILE].map((f) => join(values.out, f)).join(", ")}\n` +
      `serving certificate for ${cert.subjectAltName ?? ""}\n` +
      `valid until ${cert.validTo}; serial ${cert.serialNumber}\n`,
  );
  return 0;
};
