import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { UNKNOWN_VERSION } from "../../src/policies/istio/proxy-version.js";
import { isBadVersion, parseVersionRange, VersionRangeError } from "../../src/config/version-range.js";

const bad = (version: string, range: string) => isBadVersion(version, parseVersionRange(range));

describe("istio.badVersions ranges", () => {
  it.each([
    // [range, version, bad?]
    [">=1.6", "1.6", true],
    [">=1.6", "1.6.0", true],
    [">=1.6", "1.20.3", true],
    [">=1.6", "1.5.1", false],
    [">=1.6", "1.5", false],
    [">=1.6", "2.0.0", true],
    [">=1.6 <1.30", "1.29.9", true],
    [">=1.6 <1.30", "1.30.0", false],
    [">= 1.6 < 1.30", "1.30", false],
    [">=1.6<1.30", "1.7", true],
    ["1.20", "1.20.8", true],
    ["1.20", "1.21.0", false],
    ["1.20", "1.2", false],
    ["=1.20.3", "1.20.3", true],
    ["=1.20.3", "1.20.4", false],
    [">1.5 <=1.6.2", "1.6.2", true],
    [">1.5 <=1.6.2", "1.5.0", false],
    ["<1.0 || >=1.6", "0.8.1", true],
    ["<1.0 || >=1.6", "1.5.1", false],
    ["<1.0 || >=1.6", "1.7", true],
    ["*", "0.1.0", true],
    ["1.4 || 1.5", "1.5.3", true],
  ])("%s: %s bad=%s", (range, version, expected) => {
    expect(bad(version, range)).toBe(expected);
  });

  it("counts unknown or unparseable versions as bad, whatever the range", () => {
    for (const range of [">=1.6", "=1.0.0", "<0.1"]) {
      expect(bad(UNKNOWN_VERSION, range)).toBe(true);
      expect(bad("garbage", range)).toBe(true);
    }
  });

  it.each([
    "",
    "   ",
    ">=",
    "1.6.7.8",
    ">=1.6 ||",
    "|| >=1.6",
    "abc",
    "* >=1.6",
    "1.6 | 1.7",
    "=>1.6",
    "1.6.12.3",
    "<=>1",
  ])("rejects %j with an error naming the range", (range) => {
    expect(() => parseVersionRange(range)).toThrow(VersionRangeError);
    expect(() => parseVersionRange(range)).toThrow(JSON.stringify(range));
  });

  it("agrees with a plain numeric comparison for >=A.B on any version", () => {
    const part = fc.integer({ min: 0, max: 40 });
    fc.assert(
      fc.property(part, part, part, part, part, (a, b, x, y, z) => {
        const older = x < a || (x === a && y < b);
        expect(bad(`${x}.${y}.${z}`, `>=${a}.${b}`)).toBe(!older);
      }),
    );
  });

  it("config loading accepts the default and rejects a bad range, naming the key", () => {
    expect(loadConfig({ env: {} }).istio.badVersions).toBe(">=1.6");
    expect(
      loadConfig({ env: { CVM_ADMISSION_ISTIO_BAD_VERSIONS: ">=1.6 <1.30 || 1.4" } }).istio.badVersions,
    ).toBe(">=1.6 <1.30 || 1.4");
    expect(() => loadConfig({ env: { CVM_ADMISSION_ISTIO_BAD_VERSIONS: ">= one.six" } })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ env: { CVM_ADMISSION_ISTIO_BAD_VERSIONS: ">= one.six" } })).toThrow(
      /istio\.badVersions/,
    );
  });
});
