// The one test for "a JSON object" (not null, not an array) that every layer uses on input it
// has not checked yet.

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
