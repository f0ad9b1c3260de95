// `certs generate` keeps what is there unless --force, and a forced replacement keeps the CA that
// signed the replaced certificate in ca.crt, so a caBundle taken from it spans the rollover.

import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { splitPemBundle } from "../../src/certs/inspect.js";
import { runCli } from "../support/cli.js";

const read = (dir: string) =>
  Object.fromEntries(["ca.crt", "tls.crt", "tls.key"].map((f) => [f, readFileSync(join(dir, f), "utf8")]));
const signedBy = (certPem: string, caPem: string) => {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
};

describe("certs generate", () => {
  it("refuses to overwrite without --force, naming the files, and leaves them as they were", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cvm-certs-"));
    expect((await runCli(["certs", "generate", "--out", dir])).status).toBe(0);
    const before = read(dir);
    const again = await runCli(["certs", "generate", "--out", dir]);
    expect(again).toMatchObject({
      status: 2,
      stderr: `cvm-admission: certs generate: ${dir} already holds ca.crt, tls.crt, tls.key; pass --force to replace them\n`,
    });
    expect(read(dir)).toEqual(before);
  });

  it("with --force, writes a new CA followed by the one that signed the replaced tls.crt, and no older ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cvm-certs-"));
    await runCli(["certs", "generate", "--out", dir]);
    const first = read(dir);
    const forced = await runCli(["certs", "generate", "--out", dir, "--force"]);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/ca\.crt keeps the previous CA/);
    const second = read(dir);
    const bundle = splitPemBundle(second["ca.crt"]!);
    expect(bundle).toHaveLength(2);
    expect(bundle[1]!.trim()).toBe(first["ca.crt"]!.trim());
    expect(signedBy(second["tls.crt"]!, bundle[0]!)).toBe(true);
    expect(signedBy(first["tls.crt"]!, bundle[1]!)).toBe(true); // old replicas stay trusted
    expect(second["tls.key"]).not.toBe(first["tls.key"]);

    await runCli(["certs", "generate", "--out", dir, "--force"]);
    const third = splitPemBundle(read(dir)["ca.crt"]!);
    expect(third).toHaveLength(2); // the bundle does not grow with every rotation
    expect(third[1]!.trim()).toBe(bundle[0]!.trim());
  });
});
