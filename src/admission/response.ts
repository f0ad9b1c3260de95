// Decision -> AdmissionReview. The one place that completes every answer with the request's uid,
// and the one place a decision's mutated object becomes a JSON patch (./patch.ts).

import type { Decision } from "../policies/decision.js";
import { jsonPatch } from "./patch.js";
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
    const patch = jsonPatch(original, decision.mutated);
    if (patch.length > 0) {
      response.patchType = "JSONPatch";
      response.patch = Buffer.from(JSON.stringify(patch)).toString("base64");
    }
  }
  return response;
}

export function toReview(apiVersion: AdmissionApiVersion, response: AdmissionResponse): AdmissionReview {
  return { apiVersion, kind: "AdmissionReview", response };
}
