// The golden cases of test/fixtures/cvm-golden: one folder per CVM form of the registry
// (src/policies/cvm/forms/index.ts), one folder per case inside it. Every loader lists them here,
// and a case that would be skipped (at the root, in a folder no form owns, without input.yaml, or
// whose config.yaml names another form) makes the listing throw, which fails the test file.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Form } from "../../../src/config/config.js";
import { FORMS } from "../../../src/policies/cvm/forms/index.js";
import { configWith } from "./support.js";

export const GOLDEN_ROOT = fileURLToPath(new URL("../../fixtures/cvm-golden/", import.meta.url));

export interface GoldenCase {
  /** `<form>/<case>`: the folder under the root, and the test's title. */
  id: string;
  form: Form;
  /** The case's folder, ending in a slash. */
  dir: string;
}

/** A case's file parsed, or undefined when the case has none. */
export function goldenFile(golden: GoldenCase, file: string): unknown {
  const path = golden.dir + file;
  return existsSync(path) ? parse(readFileSync(path, "utf8")) : undefined;
}

/** Every case under `root`, sorted by id; throws naming each entry that is not a case of its form. */
export function goldenCases(root: string = GOLDEN_ROOT): GoldenCase[] {
  const forms = Object.keys(FORMS) as Form[];
  const cases: GoldenCase[] = [];
  const misplaced: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const form = forms.find((name) => name === entry.name);
    if (form === undefined || !entry.isDirectory()) {
      misplaced.push(`${entry.name}: not a form folder (known: ${forms.join(", ")})`);
      continue;
    }
    for (const item of readdirSync(`${root}${form}`, { withFileTypes: true })) {
      const golden: GoldenCase = { id: `${form}/${item.name}`, form, dir: `${root}${form}/${item.name}/` };
      if (!item.isDirectory()) misplaced.push(`${golden.id}: not a case folder`);
      else if (!existsSync(`${golden.dir}input.yaml`)) misplaced.push(`${golden.id}: no input.yaml`);
      else {
        const configured = configWith((goldenFile(golden, "config.yaml") ?? {}) as object).form;
        if (configured !== form) misplaced.push(`${golden.id}: config.yaml selects form ${configured}`);
        else cases.push(golden);
      }
    }
  }
  if (misplaced.length > 0)
    throw new Error(`${root}: golden entries outside their form's folder:\n  ${misplaced.join("\n  ")}`);
  return cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
