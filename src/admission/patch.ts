// The JSON patch (RFC 6902) that turns the object a request carried into the one the policies
// returned. Policies copy on write: a part they left alone is the same object in their result, so
// the diff skips it without looking inside. Lists are aligned as a line diff aligns lines: an
// entry kept by reference, or an object entry with the same `name` (containers, volumes, env
// vars), is an anchor; between anchors, entries are changed pairwise, then removed or inserted.
// So a list with entries inserted in front is a few adds, not one op per shifted entry; a list of
// new entries (the supervisor that replaced the app container) is replaced whole.
// fast-json-patch's compare() does neither (it diffs lists index by index and deep-copies every
// value it emits): 3,500 ops and a 430 KB patch for the 100 KB benchmark pod.

import { isObject } from "../kube/object.js";

export type PatchOperation =
  { op: "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

type JsonObject = Record<string, unknown>;

/** A JSON object or array: what the diff descends into. */
const isComposite = (value: unknown): value is JsonObject | unknown[] =>
  typeof value === "object" && value !== null;

/** Own keys only: an own `__proto__` key (JSON.parse makes them) is an ordinary key here, as in Go. */
const hasKey = (object: JsonObject, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(object, key) && object[key] !== undefined;

const pointerToken = (key: string): string =>
  key.includes("~") || key.includes("/") ? key.replace(/~/g, "~0").replace(/\//g, "~1") : key;

export function jsonPatch(original: unknown, mutated: unknown): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diff(original, mutated, "", ops);
  return ops;
}

function diff(from: unknown, to: unknown, path: string, ops: PatchOperation[]): void {
  if (from === to) return;
  if (isComposite(from) && isComposite(to) && Array.isArray(from) === Array.isArray(to)) {
    if (Array.isArray(from)) diffList(from, to as unknown[], path, ops);
    else diffObject(from, to as JsonObject, path, ops);
    return;
  }
  ops.push({ op: "replace", path, value: to });
}

function diffObject(from: JsonObject, to: JsonObject, path: string, ops: PatchOperation[]): void {
  // The identity check comes first: most values are shared, and no JSON value is identical to
  // what an absent key reads from the prototype, so only the rest need the own-key checks.
  for (const key of Object.keys(from)) {
    if (from[key] !== to[key] && !hasKey(to, key))
      ops.push({ op: "remove", path: `${path}/${pointerToken(key)}` });
  }
  for (const key of Object.keys(to)) {
    const value = to[key];
    if (value === undefined || from[key] === value) continue;
    const childPath = `${path}/${pointerToken(key)}`;
    if (hasKey(from, key)) diff(from[key], value, childPath, ops);
    else ops.push({ op: "add", path: childPath, value });
  }
}

function diffList(from: unknown[], to: unknown[], path: string, ops: PatchOperation[]): void {
  const kept = sameObjects(from, to);
  const runs = anchors(from, to, kept);
  // A list that keeps no entry and matches fewer than half of them by name (an env re-encoded under
  // other names, a container become the supervisor) is replaced whole: no larger than one op per
  // changed field, and a fraction of the work (BENCHMARKS.md, "Issue 16"). A list that keeps
  // entries is patched around them, so kept entries are never sent back or even serialised.
  if (kept.length === 0 && anchored(runs) * 2 < to.length) {
    ops.push({ op: "replace", path, value: to });
    return;
  }
  let at = 0; // the index the next op addresses, in the list as patched so far
  forEachRun(runs, from.length, to.length, (i, j, runFrom, runTo, length) => {
    // Between runs: entries changed pairwise, then the rest removed or inserted.
    const paired = Math.min(runFrom - i, runTo - j);
    for (let k = 0; k < paired; k++) diff(from[i + k], to[j + k], `${path}/${at++}`, ops);
    for (let k = paired; k < runFrom - i; k++) ops.push({ op: "remove", path: `${path}/${at}` });
    for (let k = paired; k < runTo - j; k++)
      ops.push({ op: "add", path: `${path}/${at++}`, value: to[j + k] });
    for (let k = 0; k < length; k++) {
      if (from[runFrom + k] !== to[runTo + k])
        diff(from[runFrom + k], to[runTo + k], `${path}/${at + k}`, ops);
    }
    at += length;
  });
}

/** Matched entries as runs, flat: [start in from, start in to, length, ...], increasing in both. */
type Runs = number[];

function addRun(runs: Runs, fromStart: number, toStart: number, length: number): void {
  const last = runs.length - 3;
  if (
    last >= 0 &&
    runs[last]! + runs[last + 2]! === fromStart &&
    runs[last + 1]! + runs[last + 2]! === toStart
  ) {
    runs[last + 2]! += length;
  } else {
    runs.push(fromStart, toStart, length);
  }
}

function anchored(runs: Runs): number {
  let count = 0;
  for (let r = 2; r < runs.length; r += 3) count += runs[r]!;
  return count;
}

/**
 * Calls `visit` for each run, then once for the lists' ends (an empty run there), each time with
 * the gap before it: from[i, runFrom) and to[j, runTo).
 */
function forEachRun(
  runs: Runs,
  fromLength: number,
  toLength: number,
  visit: (i: number, j: number, runFrom: number, runTo: number, length: number) => void,
): void {
  let i = 0;
  let j = 0;
  for (let r = 0; r <= runs.length; r += 3) {
    const end = r === runs.length;
    const runFrom = end ? fromLength : runs[r]!;
    const runTo = end ? toLength : runs[r + 1]!;
    const length = end ? 0 : runs[r + 2]!;
    visit(i, j, runFrom, runTo, length);
    i = runFrom + length;
    j = runTo + length;
  }
}

/** The entries kept by reference (`kept`), then, between those, entries with the same `name`. */
function anchors(from: unknown[], to: unknown[], kept: Runs): Runs {
  const runs: Runs = [];
  forEachRun(kept, from.length, to.length, (i, j, runFrom, runTo, length) => {
    if (runFrom > i && runTo > j) sameNames(from, to, i, runFrom, j, runTo, runs);
    if (length > 0) addRun(runs, runFrom, runTo, length);
  });
  return runs;
}

/** How far to look for a kept entry before indexing the whole list. */
const LOOKAHEAD = 16;

/**
 * Entries `to` shares with `from` by reference, greedily in order. Policies keep order and add,
 * drop or replace a few entries, so a walk in step that looks a few entries ahead finds nearly all
 * of them; only a long run without a match makes it index `from` and walk that run again (a Map
 * of a large pod's env entries cost more than the rest of its patch: BENCHMARKS.md).
 */
function sameObjects(from: unknown[], to: unknown[]): Runs {
  const runs: Runs = [];
  let indexOf: Map<unknown, number> | undefined;
  let unmatchedSince: [number, number] | undefined;
  let i = 0;
  let j = 0;
  while (i < from.length && j < to.length) {
    if (from[i] === to[j]) {
      const start = i;
      while (i < from.length && j < to.length && from[i] === to[j]) {
        i++;
        j++;
      }
      addRun(runs, start, j - (i - start), i - start);
      unmatchedSince = undefined;
      continue;
    }
    let found = indexNear(from, to[j], i + 1);
    if (found < 0) {
      const dropped = indexNear(to, from[i], j + 1);
      if (dropped >= 0) {
        found = i;
        j = dropped;
      }
    }
    if (found < 0 && indexOf) {
      found = indexOf.get(to[j]) ?? -1;
      if (found < i) found = -1;
    }
    if (found >= 0) {
      addRun(runs, found, j, 1);
      i = found + 1;
      j++;
      unmatchedSince = undefined;
    } else if (indexOf) {
      j++;
    } else {
      unmatchedSince ??= [i, j];
      if (j - unmatchedSince[1] < LOOKAHEAD) {
        // Most likely entries replaced one for one (an env var renamed): step past both.
        i++;
        j++;
      } else {
        [i, j] = unmatchedSince;
        indexOf = new Map(from.map((entry, index) => [entry, index]));
      }
    }
  }
  return runs;
}

function indexNear(list: unknown[], entry: unknown, start: number): number {
  const end = Math.min(list.length, start + LOOKAHEAD);
  for (let k = start; k < end; k++) if (list[k] === entry) return k;
  return -1;
}

const nameOf = (entry: unknown): string | undefined => {
  const name = isObject(entry) ? entry["name"] : undefined;
  return typeof name === "string" ? name : undefined;
};

/**
 * Adds to `runs` the entries of from[i, fromEnd) and to[j, toEnd) with the same name, greedily in
 * order: each `to` entry matches the first entry of its name after the last match.
 */
function sameNames(
  from: unknown[],
  to: unknown[],
  i: number,
  fromEnd: number,
  j: number,
  toEnd: number,
  runs: Runs,
): void {
  // Where each name occurs, and how many of those occurrences lie before the last match.
  const occurrences = new Map<string, { at: number[]; passed: number }>();
  for (let k = i; k < fromEnd; k++) {
    const name = nameOf(from[k]);
    if (name === undefined) continue;
    const known = occurrences.get(name);
    if (known) known.at.push(k);
    else occurrences.set(name, { at: [k], passed: 0 });
  }
  if (occurrences.size === 0) return;
  let last = i - 1;
  for (let k = j; k < toEnd; k++) {
    const name = nameOf(to[k]);
    const candidates = name === undefined ? undefined : occurrences.get(name);
    if (!candidates) continue;
    while (candidates.passed < candidates.at.length && candidates.at[candidates.passed]! <= last)
      candidates.passed++;
    if (candidates.passed === candidates.at.length) continue;
    last = candidates.at[candidates.passed++]!;
    addRun(runs, last, k, 1);
  }
}
