// `istio.badVersions`: which proxy versions break CVMs. A deliberately small syntax, because Istio
// versions are compared by release line ("1.6", "1.20.3") and the `semver` package needs full
// x.y.z versions and leaves pre-releases out of ranges:
//   range       := alternative ("||" alternative)*
//   alternative := "*" | comparator (comparator)*       (all comparators must hold)
//   comparator  := ("<" | "<=" | ">" | ">=" | "=")? version   (no operator: same release line)
//   version     := N | N.N | N.N.N                        (missing parts count as 0)
// Comparators are separated by whitespace or by the next operator. Unknown versions always count
// as bad: a proxy we cannot date is assumed to break the CVM.

export class VersionRangeError extends Error {
  override name = "VersionRangeError";
}

const OPERATOR = "(?:<=|>=|<|>|=)";
const VERSION = "\\d+(?:\\.\\d+){0,2}";
const ALTERNATIVE = `\\s*(?:\\*|${OPERATOR}?\\s*${VERSION}(?:\\s*${OPERATOR}\\s*${VERSION}|\\s+${VERSION})*)\\s*`;
/** The whole grammar; the config schema validates `istio.badVersions` with it. */
export const VERSION_RANGE_PATTERN = `^${ALTERNATIVE}(?:\\|\\|${ALTERNATIVE})*$`;
const RANGE = new RegExp(VERSION_RANGE_PATTERN, "u");
const COMPARATOR = new RegExp(`(${OPERATOR})?\\s*(${VERSION})`, "gu");

type Operator = "<" | "<=" | ">" | ">=" | "=" | "prefix";

interface Comparator {
  operator: Operator;
  parts: number[];
}

/** An alternative holds when all its comparators hold; "*" has none and always holds. */
export type VersionRange = Comparator[][];

export function parseVersionRange(text: string): VersionRange {
  if (!RANGE.test(text)) {
    throw new VersionRangeError(
      `bad version range ${JSON.stringify(text)}: expected comparators like ">=1.6", ">=1.6 <1.30", "1.20", ` +
        `joined by "||", or "*"`,
    );
  }
  return text.split("||").map((alternative) =>
    [...alternative.matchAll(COMPARATOR)].map((match) => ({
      operator: (match[1] as Operator | undefined) ?? "prefix",
      parts: match[2]!.split(".").map(Number),
    })),
  );
}

function compareParts(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function holds({ operator, parts }: Comparator, version: number[]): boolean {
  if (operator === "prefix") return parts.every((part, i) => (version[i] ?? 0) === part);
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

const KNOWN_VERSION = new RegExp(`^${VERSION}$`, "u");

/** Whether a proxy version ("1.20.3", "1.12", or anything else: an undatable proxy) is in the bad range. */
export function isBadVersion(version: string, range: VersionRange): boolean {
  if (!KNOWN_VERSION.test(version)) return true;
  const parts = version.split(".").map(Number);
  return range.some((alternative) => alternative.every((comparator) => holds(comparator, parts)));
}
