// Decision -> AdmissionReview. The one place that completes every answer with the request's uid,
// and the one place a JSON patch is made (fast-json-patch compare, lists that changed length
// and replaced entries replaced whole: deterministic, and every op applies under a strict RFC 6902 implementation
// such as the apiserver's).

import fastJsonPatch from "fast-json-patch";
import type { Decision } from "../policies/decision.js";
import type { AdmissionApiVersion, AdmissionResponse, AdmissionReview } from "./types.js";

/** metav1.StatusReason for the codes a decision carries. */
const STATUS_REASONS: Record<number, string> = { 400: "BadRequest", 403: "Forbidden", 500: "InternalError" };

/** The apiserver drops warnings beyond 4 KiB in total; keep each one readable. */
const MAX_WARNING_LENGTH = 512;

export function denialMessage(reasons: readonly string[]): string {
  if (reasons.length === 1) return reasons[0]!;
  return `${reasons.length} problems: ` + reasons.map((r, i) => `(${i + 1}) ${r}`).join("; ");
}

function truncateWarning(warning: string): string {
  return warning.length <= MAX_WARNING_LENGTH ? warning : warning.slice(0, MAX_WARNING_LENGTH - 1) + "…";
}

export function toResponse(uid: string, decision: Decision, original: unknown): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (decision.warnings.length > 0) response.warnings = [...new Set(decision.warnings)].map(truncateWarning);
  if (!decision.allowed) {
    response.status = {
      code: decision.code,
      reason: STATUS_REASONS[decision.code] ?? "InternalError",
      message: denialMessage(decision.reasons),
    };
    return response;
  }
  if (decision.auditAnnotations) response.auditAnnotations = decision.auditAnnotations;
  if (decision.mutated !== undefined && typeof original === "object" && original !== null) {
    const wholesale = replaceWholesale(original, decision.mutated, "");
    const patch = [...wholesale.ops, ...fastJsonPatch.compare(wholesale.base as object, decision.mutated)];
    if (patch.length > 0) {
      response.patchType = "JSONPatch";
      response.patch = Buffer.from(JSON.stringify(patch)).toString("base64");
    }
  }
  return response;
}

type Json = Record<string, unknown> | unknown[];
const isContainer = (value: unknown): value is Json => typeof value === "object" && value !== null;

const hasName = (value: unknown): value is { name: unknown } =>
  typeof value === "object" && value !== null && "name" in value;

/**
 * Replaced whole: a list whose length changed, and a list entry that became another one (a
 * container, volume or env var with a different name). Diffed index by index, a list with entries
 * inserted at its front (the supervisor's env) becomes one op per entry: 3,500 ops and a 430 KB
 * patch for the 100 KB benchmark pod; and a container turned into the supervisor becomes an op
 * per field, each value deep-copied by compare(). Returns those replace ops, and `base`:
 * `original` with the new values already in place, shared by reference so compare() skips them
 * (copied only along the paths that lead to one).
 */
function replaceWholesale(
  original: unknown,
  mutated: unknown,
  path: string,
): { ops: fastJsonPatch.Operation[]; base: unknown } {
  // Policies share unchanged parts of the original with their result: nothing to look at below.
  if (original === mutated) return { ops: [], base: original };
  if (!isContainer(original) || !isContainer(mutated) || Array.isArray(original) !== Array.isArray(mutated)) {
    return { ops: [], base: original };
  }
  if (Array.isArray(original) && original.length !== (mutated as unknown[]).length) {
    return { ops: [{ op: "replace", path, value: mutated }], base: mutated };
  }
  const ops: fastJsonPatch.Operation[] = [];
  let base: Json | undefined;
  for (const key of Object.keys(original)) {
    const from = (original as Record<string, unknown>)[key];
    const to = (mutated as Record<string, unknown>)[key];
    if (!Object.prototype.hasOwnProperty.call(mutated, key) || !isContainer(from) || !isContainer(to))
      continue;
    const childPath = `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    const renamedEntry = Array.isArray(original) && hasName(from) && hasName(to) && from.name !== to.name;
    const child = renamedEntry
      ? { ops: [{ op: "replace" as const, path: childPath, value: to }], base: to }
      : replaceWholesale(from, to, childPath);
    if (child.base === from) continue;
    ops.push(...child.ops);
    base ??= Array.isArray(original) ? [...original] : { ...original };
    // defineProperty: an own "__proto__" key must stay a key, not become the prototype.
    Object.defineProperty(base, key, {
      value: child.base,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ops, base: base ?? original };
}

export function toReview(apiVersion: AdmissionApiVersion, response: AdmissionResponse): AdmissionReview {
  return { apiVersion, kind: "AdmissionReview", response };
}
