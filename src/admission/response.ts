// Decision -> AdmissionReview. The one place that completes every answer with the request's uid,
// and the one place a JSON patch is made (fast-json-patch compare: deterministic, and every op
// applies under a strict RFC 6902 implementation such as the apiserver's).

import fastJsonPatch from "fast-json-patch";
import type { Decision } from "../policies/decision.js";
import type { AdmissionApiVersion, AdmissionResponse, AdmissionReview } from "./types.js";

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
      reason: decision.code === 403 ? "Forbidden" : "InternalError",
      message: denialMessage(decision.reasons),
    };
    return response;
  }
  if (decision.auditAnnotations) response.auditAnnotations = decision.auditAnnotations;
  if (decision.mutated !== undefined && typeof original === "object" && original !== null) {
    const patch = fastJsonPatch.compare(original, decision.mutated);
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
