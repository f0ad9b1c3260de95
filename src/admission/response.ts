// Decision -> AdmissionReview -> JSON. The one place that completes every answer with the
// request's uid, and the one place a decision's mutated object becomes a JSON patch (./patch.ts).

import type { Decision } from "../policies/index.js";
import { jsonPatch } from "./patch.js";
import type { AdmissionApiVersion, AdmissionResponse, AdmissionReview } from "../kube/admission-review.js";

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

/**
 * The review as JSON. The patch is base64, which has nothing to escape, so it is spliced in rather
 * than serialised a second time: that second pass was most of the answer's JSON (BENCHMARKS.md).
 */
export function reviewJson(review: AdmissionReview): string {
  if (review.response?.patch === undefined) return JSON.stringify(review);
  const { patch, ...response } = review.response;
  // An answer carries no request; `response` goes last, so the text ends with its two closing braces.
  const head = JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind, response });
  return `${head.slice(0, -2)},"patch":"${patch}"}}`;
}
