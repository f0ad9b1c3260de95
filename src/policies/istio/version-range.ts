// `istio.badVersions`: which proxy versions break CVMs. A deliberately small syntax, because Istio
// versions are compared by release line ("1.6", "1.20.3") and the `semver` package needs full
// x.y.z versions and treats pre-releases specially:
//   range      := alternative ("||" alternative)*
//   alternative:= "*" | comparator (whitespace comparator)*      (all comparators must hold)
//   comparator := ("<" | "<=" | ">" | ">=" | "=")? version      (no operator: same release line)
//   version    := N | N.N | N.N.N                                 (missing parts count as 0)
// Unknown versions always count as bad: a proxy we cannot date is assumed to break the CVM.

import { UNKNOWN_VERSION } from "./proxy-version.js";

export class VersionRangeError extends Error {
  override name = "VersionRangeError";
}

type Operator = "<" | "<=" | ">" | ">=" | "=" | "prefix";

interface Comparator {
  operator: Operator;
  parts: number[];
}

/** An alternative holds when all its comparators hold; an empty one ("*") always holds. */
export type VersionRange = Comparator[][];

const COMPARATOR = /^(<=|>=|<|>|=)?\s*(\d+(?:\.\d+){0,2})$/;
const TOKEN = /(?:<=|>=|<|>|=)?\s*[^\s<>=]+|\S+/g;

function parseAlternative(text: string, whole: string): Comparator[] {
  const trimmed = text.trim();
  if (trimmed === "*") return [];
  const tokens = trimmed.match(TOKEN) ?? [];
  if (tokens.length === 0) throw new VersionRangeError(`empty alternative in version range ${JSON.stringify(whole)}`);
  return tokens.map((token) => {
    const match = COMPARATOR.exec(token);
    if (!match) {
      throw new VersionRangeError(
        `bad comparator ${JSON.stringify(token)} in version range ${JSON.stringify(whole)} ` +
          `(expected e.g. ">=1.6", "<1.30", "1.20", "*")`,
      );
    }
    return { operator: (match[1] as Operator | undefined) ?? "prefix", parts: match[2]!.split(".").map(Number) };
  });
}

export function parseVersionRange(text: string): VersionRange {
  return text.split("||").map((alternative) => parseAlternative(alternative, text));
}

function compareParts(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function holds({ operator, parts }: Comparator, version: number[]): boolean {
  if (operator === "prefix") return parts.every((part, i) => version[i] === part);
  const order = compareParts(version, parts);
  switch (operator) {
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
    case "=":
      return order === 0;
  }
}

/** Whether a proxy version ("1.20.3", "1.12" or UNKNOWN_VERSION) is in the bad range. */
export function isBadVersion(version: string, range: VersionRange): boolean {
  if (version === UNKNOWN_VERSION || !/^\d+(\.\d+){0,2}$/.test(version)) return true;
  const parts = version.split(".").map(Number);
  return range.some((alternative) => alternative.every((comparator) => holds(comparator, parts)));
}
