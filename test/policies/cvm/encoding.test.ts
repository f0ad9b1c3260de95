// Unit tables for the exact pieces the transform relies on: quantities and `$(VAR)` syntax.

import { describe, expect, it } from "vitest";
import {
  escapeLiteral,
  references,
  renameReferences,
  unescapeLiteral,
} from "../../../src/policies/cvm/expansion.js";
import { isSafeEnvFromPrefix } from "../../../src/policies/cvm/env-names.js";
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

describe("envFrom prefixes", () => {
  it.each([
    ["APP_", true],
    ["DOT_", true],
    ["", false],
    ["H", false],
    ["LD", false],
    ["DOCKER_X_", false],
    ["C", false],
    ["CVM_", false],
    ["http", false],
    ["1A", false],
  ])("%j safe: %s", (prefix, safe) => {
    expect(isSafeEnvFromPrefix(prefix)).toBe(safe);
  });
});
