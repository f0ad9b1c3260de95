// Unit tables for the exact pieces the transform relies on: quantities and `$(VAR)` syntax.

import { describe, expect, it } from "vitest";
import {
  escapeLiteral,
  references,
  renameReferences,
  unescapeLiteral,
} from "../../../src/policies/cvm/expansion.js";
import {
  decodedName,
  encodedName,
  envFromPrefix,
  isEncodedName,
} from "../../../src/policies/cvm/env-names.js";
import { bootstrapScript } from "../../../src/policies/cvm/bootstrap.js";
import { ceilQuantity, parseQuantity, sameQuantity } from "../../../src/policies/cvm/quantity.js";

describe("quantities", () => {
  it.each([
    ["1500m", "2"],
    ["1", "1"],
    ["0.5", "1"],
    ["2e-3", "1"],
    ["1E3", "1000"],
    ["4Gi", "4294967296"],
    ["1.5Gi", "1610612736"],
    ["1k", "1000"],
    ["1M", "1000000"],
    ["100m", "1"],
    ["128974848", "128974848"],
    ["129e6", "129000000"],
    ["123Mi", "128974848"],
    [".5", "1"],
    ["1E", "1000000000000000000"],
  ])("ceil(%s) = %s", (text, expected) => {
    expect(ceilQuantity(parseQuantity(text)!)).toBe(expected);
  });

  it.each(["", "lots", "1.2.3", "1Kb", "e3", "1e", "Gi", "1e99999", "2e3m"])("rejects %j", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("compares by value", () => {
    expect(sameQuantity("1Gi", "1024Mi")).toBe(true);
    expect(sameQuantity("1G", "1Gi")).toBe(false);
  });
});

describe("kubelet expansion syntax", () => {
  it.each([
    ["$(A) $$(B) $(C", ["A"]],
    ["$$$(A)", ["A"]],
    ["$x$(A)$", ["A"]],
    ["$()", [""]],
  ])("references in %j", (text, names) => {
    expect(references(text)).toEqual(names);
  });

  it("renames only references, byte for byte elsewhere", () => {
    const rename = (n: string) => (n === "PATH" ? "CVM_ENV_PATH" : undefined);
    expect(renameReferences("a$(PATH)b$$(PATH)$(HOME)$(PATH", rename)).toBe(
      "a$(CVM_ENV_PATH)b$$(PATH)$(HOME)$(PATH",
    );
  });

  it("escapes literals reversibly", () => {
    expect(escapeLiteral("a$(B)$")).toBe("a$$(B)$$");
    expect(unescapeLiteral(escapeLiteral("a$(B)$$c"))).toBe("a$(B)$$c");
  });
});

describe("names of the supervisor's encoding", () => {
  it.each([
    ["PATH", "CVM_ENV_PATH"],
    ["LD_PRELOAD", "CVM_ENV_LD_PRELOAD"],
    ["CODER_AGENT_URL", "CODER_AGENT_URL"],
  ])("%s is %s in the supervisor", (name, encoded) => {
    expect(encodedName(name)).toBe(encoded);
  });

  it.each([
    ["CVM_ENV_PATH", "PATH"],
    [`${envFromPrefix(0)}APP_HOST`, "APP_HOST"],
    [`${envFromPrefix(12)}x`, "x"],
    ["CVM_EF01_x", undefined],
    ["CVM_EFX_x", undefined],
    ["PATH", undefined],
  ])("%s decodes to %s", (name, decoded) => {
    expect(decodedName(name)).toBe(decoded);
  });

  it.each([
    ["CVM_ARGV_3", true],
    ["CVM_ARGV_x", false],
    ["CVM_EF2_K", true],
    ["CVM_OTHER", false],
    ["XTABLES_LIBDIR", false],
  ])("%s is ours: %s", (name, ours) => {
    expect(isEncodedName(name)).toBe(ours);
  });
});

describe("the bootstrap script", () => {
  it.each([
    [0, 0],
    [2, 3],
    [11, 40],
  ])("with %i envFrom sources and %i arguments holds nothing the kubelet would expand", (sources, argc) => {
    const script = bootstrapScript(sources, argc);
    expect(script).not.toMatch(/\$\(|\$\$/);
    expect(script).toContain(
      `CVM_PREFIXES="${Array.from({ length: sources }, (_, i) => `CVM_EF${i}_ `).join("")}CVM_ENV_"`,
    );
  });
});
