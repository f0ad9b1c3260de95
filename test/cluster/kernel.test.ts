// Kernel verdicts against the real-world corpus (test/fixtures/nodes/kernels.tsv, every row with
// its source) and the parsing pitfalls of docs/nodes.md.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judgeKernel, parseKernelRelease, parseMinimum } from "../../src/cluster/kernel.js";

interface CorpusRow {
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  expected: string;
  source: string;
}

function readCorpus(): CorpusRow[] {
  const [header, ...lines] = readFileSync(new URL("../fixtures/nodes/kernels.tsv", import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line !== "");
  const columns = header!.split("\t");
  return lines.map((line) => {
    const cells = line.split("\t");
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""])) as unknown as CorpusRow;
  });
}

const corpus = readCorpus();

describe("kernel corpus (minimum 5.4)", () => {
  it("has every row of the shared corpus", () => {
    expect(corpus.length).toBe(56);
    expect(new Set(corpus.map((r) => r.expected))).toEqual(
      new Set(["eligible", "below-minimum", "not-linux"]),
    );
  });

  it.each(corpus.map((r) => [r.kernelVersion, r.operatingSystem || "(none)", r.expected, r]))(
    "%s on %s is %s",
    (_k, _os, expected, row) => {
      const judgement = judgeKernel(row as CorpusRow, "5.4");
      expect(judgement.verdict).toBe(expected);
      expect(judgement.reason).toContain(JSON.stringify((row as CorpusRow).kernelVersion));
      expect(judgement.reason).toContain("5.4");
    },
  );
});

describe("parsing pitfalls (docs/nodes.md)", () => {
  it("compares numerically: 5.10 is above 5.4, 5.3 below, 10.0 is not a Linux kernel only because of the OS", () => {
    expect(judgeKernel({ kernelVersion: "5.10.25-linuxkit" }, "5.4").verdict).toBe("eligible");
    expect(judgeKernel({ kernelVersion: "5.3.0-1028-azure" }, "5.4").verdict).toBe("below-minimum");
    expect(judgeKernel({ kernelVersion: "4.15.0-1034-aws" }, "4.9").verdict).toBe("eligible");
    // "5.10" < "5.4" as strings: the comparison must not be lexical.
    expect(judgeKernel({ kernelVersion: "5.4.0" }, "5.10").verdict).toBe("below-minimum");
    expect(judgeKernel({ kernelVersion: "5.40.0" }, "5.4").verdict).toBe("eligible");
  });

  it("gates on the OS first: a Windows 10.0 build would pass 5.4 numerically", () => {
    const windows = judgeKernel({ operatingSystem: "windows", kernelVersion: "10.0.20348.1668" }, "5.4");
    expect(windows.verdict).toBe("not-linux");
    expect(windows.reason).toContain('"windows"');
    expect(windows.reason).toContain('"10.0.20348.1668"');
  });

  it("judges a missing operatingSystem as Linux (docs/nodes.md)", () => {
    expect(judgeKernel({ kernelVersion: "6.1.94" }, "5.4").verdict).toBe("eligible");
    expect(judgeKernel({ operatingSystem: "", kernelVersion: "4.4.0" }, "5.4").verdict).toBe("below-minimum");
  });

  it.each([
    ["6.12.55+", 6, 12],
    ["5.15.107.1-2.cm2", 5, 15],
    ["3.10.0-1160.el7.x86_64", 3, 10],
    ["4.18.0-193.14.3.el8_2.x86_64", 4, 18],
    ["5.10.134-18.an8.x86_64", 5, 10],
    ["6.6.145.2-1.azl3", 6, 6],
    ["5.15.59", 5, 15],
  ])("parses the leading major.minor of %s (not semver)", (raw, major, minor) => {
    expect(parseKernelRelease(raw)).toEqual({ major, minor });
  });

  it.each([
    ["", "no kernel version reported"],
    ["linux", '"linux"'],
    ["v5.4.0", '"v5.4.0"'],
    [" 5.4.0", '" 5.4.0"'],
    ["5", '"5"'],
    ["12345.1", '"12345.1"'],
    ["5.12345", '"5.12345"'],
    ["5.4.0-\u00e9", '"5.4.0-\u00e9"'],
    ["\u0665.\u0664", '"\u0665.\u0664"'],
  ])("judges %j unparseable, quoting it", (raw, quoted) => {
    const judgement = judgeKernel({ operatingSystem: "linux", kernelVersion: raw }, "5.4");
    expect(judgement.verdict).toBe("unparseable");
    expect(judgement.reason).toContain(quoted);
  });

  it("judges a missing kernelVersion unparseable (node not yet reported)", () => {
    expect(judgeKernel({}, "5.4").verdict).toBe("unparseable");
  });

  it("truncates an absurdly long value in the reason and does not parse it", () => {
    const raw = "5.15.0-" + "x".repeat(10_000);
    const judgement = judgeKernel({ kernelVersion: raw }, "5.4");
    expect(judgement.verdict).toBe("unparseable");
    expect(judgement.reason.length).toBeLessThan(200);
    expect(judgement.reason).toContain('"5.15.0-xxxx');
  });

  it("rejects RHEL 7/8 vendor backports on the numeric floor", () => {
    expect(judgeKernel({ kernelVersion: "3.10.0-1160.el7.x86_64" }, "5.4").verdict).toBe("below-minimum");
    expect(judgeKernel({ kernelVersion: "4.18.0-193.14.3.el8_2.x86_64" }, "5.4").verdict).toBe(
      "below-minimum",
    );
  });

  it("refuses a minimum that is not MAJOR.MINOR", () => {
    expect(() => parseMinimum("5")).toThrow(/MAJOR\.MINOR/);
    expect(() => judgeKernel({ kernelVersion: "5.4" }, "5.4.1")).toThrow(/MAJOR\.MINOR/);
  });
});

describe("soft warnings (docs/nodes.md)", () => {
  const warningsOf = (kernelVersion: string, osImage: string) =>
    judgeKernel({ operatingSystem: "linux", kernelVersion, osImage }, "5.4").warnings;

  it("warns below 5.12 off Ubuntu, Debian and Flatcar (no shiftfs there)", () => {
    expect(warningsOf("5.10.236-228.935.amzn2.x86_64", "Amazon Linux 2")).toEqual([
      expect.stringMatching(/below 5\.12.*"Amazon Linux 2".*shiftfs/),
    ]);
    expect(warningsOf("5.4.0-1067-azure", "Ubuntu 20.04.2 LTS")).toEqual([]);
    expect(warningsOf("5.10.0-21-amd64", "Debian GNU/Linux 11 (bullseye)")).toEqual([]);
    expect(warningsOf("5.10.157-flatcar", "Flatcar Container Linux by Kinvolk 3374.2.1 (Oklo)")).toEqual([]);
    expect(warningsOf("5.12.0", "Fedora Linux 34")).toEqual([]);
    expect(warningsOf("5.11.0", "")).toEqual([expect.stringContaining("not reported")]);
  });

  it("warns on Bottlerocket (user namespaces off by default)", () => {
    expect(warningsOf("6.1.94", "Bottlerocket OS 1.20.0 (aws-k8s-1.29)")).toEqual([
      expect.stringMatching(/Bottlerocket.*user namespaces/),
    ]);
    // Bottlerocket 5.10 also lacks shiftfs: both warnings.
    expect(warningsOf("5.10.135", "Bottlerocket OS 1.12.0 (aws-k8s-1.23)")).toHaveLength(2);
  });

  it("warns on RHEL 9 (Sysbox-EE only), by OS image or el9 kernel", () => {
    expect(warningsOf("5.14.0-284.11.1.el9_2.x86_64", "Red Hat Enterprise Linux 9.2 (Plow)")).toEqual([
      expect.stringContaining("Sysbox-EE"),
    ]);
    expect(warningsOf("5.14.0-70.13.1.el9_0.x86_64", "")).toEqual([expect.stringContaining("Sysbox-EE")]);
    expect(warningsOf("4.18.0-477.el8.x86_64", "Red Hat Enterprise Linux 8.8 (Ootpa)")).toEqual([]);
  });

  it("gives no warnings with a verdict other than eligible", () => {
    expect(
      judgeKernel({ kernelVersion: "4.14.32-rancher2", osImage: "RancherOS v1.4.0" }, "5.4").warnings,
    ).toEqual([]);
  });
});

describe("numeric comparison (property)", () => {
  it("agrees with (major, minor) compared as numbers, whatever the suffix", () => {
    const part = fc.integer({ min: 0, max: 9999 });
    const suffix = fc.constantFrom(
      "",
      ".0",
      ".55+",
      "-1034-aws",
      ".107.1-2.cm2",
      "-1160.el7.x86_64",
      "-flatcar",
      "-talos",
    );
    fc.assert(
      fc.property(part, part, suffix, part, part, (major, minor, tail, minMajor, minMinor) => {
        const verdict = judgeKernel(
          { kernelVersion: `${major}.${minor}${tail}` },
          `${minMajor}.${minMinor}`,
        ).verdict;
        const meets = major > minMajor || (major === minMajor && minor >= minMinor);
        expect(verdict).toBe(meets ? "eligible" : "below-minimum");
      }),
      { numRuns: 2000 },
    );
  });
});
