// The patch check every emitted pod must pass: the JSON patch the admission layer computes
// (fast-json-patch compare) applied by a strict RFC 6902 applier to a copy of the input gives
// exactly the mutated pod. The apiserver's applier is strict too (`add` into a missing parent fails).

import fastJsonPatch from "fast-json-patch";
import { expect } from "vitest";

const { applyPatch, compare } = fastJsonPatch;

export function expectStrictPatchReproduces(input: object, mutated: object): void {
  const patch = compare(input, mutated);
  const copy = structuredClone(input);
  // validateOperation = true: every operation is checked against the document before it applies.
  const result = applyPatch(copy, patch, true, false).newDocument;
  expect(JSON.parse(JSON.stringify(result))).toEqual(JSON.parse(JSON.stringify(mutated)));
}
