// The golden listing (./golden-cases.ts) on layouts built in a temporary folder: a case anywhere but
// in its form's folder fails the listing instead of being skipped.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { goldenCases } from "./golden-cases.js";

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A layout of case folders (`<path>` -> config.yaml text, or "" for none), each with an input.yaml. */
function layout(cases: Record<string, string>): string {
  root = `${mkdtempSync(`${tmpdir()}/golden-`)}/`;
  for (const [path, config] of Object.entries(cases)) {
    mkdirSync(root + path, { recursive: true });
    writeFileSync(`${root}${path}/input.yaml`, "metadata: {name: p}\n");
    if (config) writeFileSync(`${root}${path}/config.yaml`, config);
  }
  return root;
}

describe("goldenCases", () => {
  it("lists the cases of each form folder, sorted", () => {
    const cases = goldenCases(
      layout({ "runtimeclass/b": "form: runtimeclass\n", "envbox/a": "", "envbox/c": "" }),
    );
    expect(cases.map((c) => [c.id, c.form, c.dir])).toEqual([
      ["envbox/a", "envbox", `${root}envbox/a/`],
      ["envbox/c", "envbox", `${root}envbox/c/`],
      ["runtimeclass/b", "runtimeclass", `${root}runtimeclass/b/`],
    ]);
  });

  it.each([
    ["a case at the root", { "envbox/a": "", stray: "" }, "stray: not a form folder"],
    ["a case in an unknown form folder", { "envbox/a": "", "kata/x": "" }, "kata: not a form folder"],
    [
      "a case in another form's folder",
      { "envbox/r": "form: runtimeclass\n" },
      "envbox/r: config.yaml selects form runtimeclass",
    ],
    [
      "a runtimeclass case without its config",
      { "runtimeclass/r": "" },
      "runtimeclass/r: config.yaml selects form envbox",
    ],
  ])("fails on %s", (_, cases, message) => {
    expect(() => goldenCases(layout(cases))).toThrow(message);
  });

  it("fails on a case folder without input.yaml", () => {
    layout({ "envbox/a": "" });
    mkdirSync(`${root}envbox/empty`);
    expect(() => goldenCases(root)).toThrow("envbox/empty: no input.yaml");
  });
});
