// Golden cases: input pod -> expected pod, warnings and reasons, one folder per case under
// test/fixtures/cvm-golden/<form>/ (listed by ./golden-cases.ts; the expected files are the specification of the mutation, reviewed
// by hand against docs/cvm-form.md). UPDATE_GOLDEN=1 rewrites them from the current code.
//   input.yaml     the pod as the webhook receives it
//   config.yaml    optional config overrides
//   decision.yaml  allowed, warnings, reasons
//   expected.yaml  the mutated pod (allowed cases that change the pod)

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { V1Pod } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { checkCvmForm } from "../../../src/policies/cvm/derive.js";
import { FORMS } from "../../../src/policies/cvm/forms/index.js";
import { schemaErrors } from "../../support/k8s-schema.js";
import { goldenCases, goldenFile } from "./golden-cases.js";
import { configWith, mutate } from "./support.js";
import { expectStrictPatchReproduces } from "./patch.js";

const UPDATE = process.env.UPDATE_GOLDEN === "1";
const cases = goldenCases();

describe("CVM golden cases", () => {
  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it("has cases for every form of the registry", () => {
    expect(new Set(cases.map((golden) => golden.form))).toEqual(new Set(Object.keys(FORMS)));
  });

  it.each(cases.map((golden) => [golden.id, golden] as const))("%s", (_, golden) => {
    const { dir } = golden;
    const input = goldenFile(golden, "input.yaml") as V1Pod;
    const config = configWith((goldenFile(golden, "config.yaml") ?? {}) as object);
    const inputText = JSON.stringify(input);
    const decision = mutate(input, config);
    expect(JSON.stringify(input), "the input must not be modified").toBe(inputText);
    const summary = decision.allowed
      ? { allowed: true, warnings: decision.warnings, mutated: decision.mutated !== undefined }
      : { allowed: false, warnings: decision.warnings, reasons: decision.reasons };
    const mutated = decision.allowed ? decision.mutated : undefined;
    if (UPDATE) {
      writeFileSync(`${dir}decision.yaml`, stringify(summary, { lineWidth: 0 }));
      if (mutated) writeFileSync(`${dir}expected.yaml`, stringify(mutated, { lineWidth: 0 }));
      else rmSync(`${dir}expected.yaml`, { force: true });
    }
    expect(summary).toEqual(goldenFile(golden, "decision.yaml"));
    if (!mutated) {
      expect(existsSync(`${dir}expected.yaml`)).toBe(false);
      return;
    }
    // Byte for byte: the YAML of the output is the expected file.
    expect(stringify(mutated, { lineWidth: 0 })).toBe(readFileSync(`${dir}expected.yaml`, "utf8"));
    expect(schemaErrors(mutated as V1Pod & { apiVersion: string; kind: string })).toEqual([]);
    expectStrictPatchReproduces(input, mutated);
    expect(checkCvmForm(mutated, { config })).toEqual({ claimed: true, exact: true, reasons: [] });
    // Re-invocation: the pod we produced passes again with no change.
    expect(mutate(mutated, config)).toEqual({ allowed: true, warnings: [] });
  });
});
