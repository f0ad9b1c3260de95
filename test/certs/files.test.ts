// The development set `serve` uses on the embedded default, and `certs generate`.

import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureDevCertificates, initialServingPair } from "../../src/certs/files.js";
import { certsCommand } from "../../src/cli/certs.js";
import { UsageError } from "../../src/cli/args.js";

const DAY = 24 * 60 * 60 * 1000;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cvm-certs-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const serial = async (file: string) => new X509Certificate(await readFile(join(dir, file))).serialNumber;

describe("ensureDevCertificates", () => {
  it("creates ca.crt, tls.crt and a private tls.key when missing, then reuses them", async () => {
    const first = await ensureDevCertificates(dir);
    expect(first.created).toBe(true);
    expect(first.reason).toMatch(/cannot read .*ca\.crt: ENOENT/);
    expect((await stat(join(dir, "tls.key"))).mode & 0o777).toBe(0o600);
    const leaf = new X509Certificate(await readFile(join(dir, "tls.crt")));
    const ca = new X509Certificate(await readFile(join(dir, "ca.crt")));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost("localhost")).toBe("localhost");
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.checkHost("cvm-admission.default.svc")).toBe("cvm-admission.default.svc");

    const before = await serial("tls.crt");
    expect(await ensureDevCertificates(dir)).toEqual({ created: false });
    expect(await serial("tls.crt")).toBe(before);
  });

  it("regenerates when due for renewal (two thirds of a year)", async () => {
    await ensureDevCertificates(dir);
    const before = await serial("tls.crt");
    expect((await ensureDevCertificates(dir, undefined, new Date(Date.now() + 200 * DAY))).created).toBe(
      false,
    );
    const renewed = await ensureDevCertificates(dir, undefined, new Date(Date.now() + 250 * DAY));
    expect(renewed).toMatchObject({ created: true, reason: expect.stringMatching(/due for renewal/) });
    expect(await serial("tls.crt")).not.toBe(before);
  });

  it("regenerates a broken or mismatched set, and one that misses a requested name", async () => {
    await ensureDevCertificates(dir);
    await writeFile(join(dir, "tls.key"), "not a key");
    expect(await ensureDevCertificates(dir)).toMatchObject({
      created: true,
      reason: expect.stringMatching(/tls.key is not a readable/),
    });
    const other = { serviceName: "webhook", namespace: "dev" };
    expect(await ensureDevCertificates(dir, other)).toMatchObject({
      created: true,
      reason: expect.stringMatching(/not valid for webhook/),
    });
  });
});

describe("initialServingPair", () => {
  it("uses the files when they hold a valid pair, and a throwaway pair while they do not", async () => {
    const identity = { serviceName: "cvm-admission", namespace: "cvm-system" };
    const placeholder = await initialServingPair(join(dir, "not-yet"), identity);
    expect(placeholder.placeholder).toBe(true);
    expect(new X509Certificate(placeholder.cert).checkHost("cvm-admission.cvm-system.svc")).toBeDefined();
    await ensureDevCertificates(dir);
    const real = await initialServingPair(dir, identity);
    expect(real).toEqual({
      cert: await readFile(join(dir, "tls.crt"), "utf8"),
      key: await readFile(join(dir, "tls.key"), "utf8"),
      placeholder: false,
    });
  });
});

describe("certs generate", () => {
  const io = () => {
    const out: string[] = [];
    return { out, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void out.push(t) } };
  };

  it("writes a set for the Service and says where", async () => {
    const { out, io: sink } = io();
    const status = await certsCommand(
      [
        "generate",
        "--out",
        dir,
        "--service",
        "hook",
        "--namespace",
        "ops",
        "--ip",
        "127.0.0.1",
        "--dns",
        "localhost",
      ],
      sink,
    );
    expect(status).toBe(0);
    expect(out.join("")).toContain(
      `wrote ${join(dir, "ca.crt")}, ${join(dir, "tls.crt")}, ${join(dir, "tls.key")}`,
    );
    const leaf = new X509Certificate(await readFile(join(dir, "tls.crt")));
    expect(leaf.checkHost("hook.ops.svc.cluster.local")).toBe("hook.ops.svc.cluster.local");
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.verify(new X509Certificate(await readFile(join(dir, "ca.crt"))).publicKey)).toBe(true);
  });

  it("refuses bad input with a usage error", async () => {
    const { io: sink } = io();
    await expect(certsCommand(["generate", "--out", dir, "--service", "Not_A_Label"], sink)).rejects.toThrow(
      UsageError,
    );
    await expect(certsCommand(["generate", "--out", dir, "--ip", "nope"], sink)).rejects.toThrow(
      /IP address "nope"/,
    );
    await expect(certsCommand(["rotate"], sink)).rejects.toThrow(/unknown action "rotate"/);
    await expect(certsCommand(["generate", "--bogus"], sink)).rejects.toThrow(UsageError);
  });
});
