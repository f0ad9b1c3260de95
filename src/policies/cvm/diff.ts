// Where two JSON objects differ, as field paths, for "CVM form was altered" messages. Key order is
// irrelevant (JSON objects are unordered); quantities compare by value, since the apiserver
// rewrites them in canonical form ("1024Mi" comes back as "1Gi").

import { sameQuantity } from "./quantity.js";

const QUANTITY_KEYS = new Set(["sizeLimit"]);

function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
    ? path
      ? `${path}.${key}`
      : key
    : `${path}[${JSON.stringify(key)}]`;
}

function walk(a: unknown, b: unknown, path: string, key: string, out: string[], limit: number): void {
  if (out.length >= limit || a === b) return;
  if (typeof a === "string" && typeof b === "string" && QUANTITY_KEYS.has(key) && sameQuantity(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path || "."} has ${b.length} entries, expected ${a.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], child(path, i), key, out, limit);
    return;
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (x[k] === undefined && y[k] !== undefined) out.push(`${child(path, k)} is not expected`);
      else if (y[k] === undefined && x[k] !== undefined) out.push(`${child(path, k)} is missing`);
      else walk(x[k], y[k], child(path, k), k, out, limit);
    }
    return;
  }
  out.push(`${path || "."} differs`);
}

/** Paths where `actual` differs from `expected` (at most `limit`); empty when they are equal as JSON. */
export function differences(expected: unknown, actual: unknown, limit = 5): string[] {
  const out: string[] = [];
  walk(
    JSON.parse(JSON.stringify(expected ?? null)),
    JSON.parse(JSON.stringify(actual ?? null)),
    "",
    "",
    out,
    limit,
  );
  return out;
}
