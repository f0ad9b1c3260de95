// What every policy returns. Policies are pure: (request, cluster view, config) -> Decision.
// The admission layer turns a Decision into an AdmissionResponse (patch, status, uid).

import type { V1Pod } from "@kubernetes/client-node";

export interface Allowed {
  allowed: true;
  /** Lossy-but-safe things the user should know; sent as AdmissionReview warnings. */
  warnings: string[];
  /** The object as the mutating webhook wants it; the patch is computed from it. Absent = unchanged. */
  mutated?: V1Pod;
  auditAnnotations?: Record<string, string>;
}

export interface Denied {
  allowed: false;
  /** HTTP status carried inside the AdmissionReview (403 for policy denials, 500 for exceptions). */
  code: number;
  /** Every reason, each one actionable; the message lists them all. */
  reasons: string[];
  warnings: string[];
}

export type Decision = Allowed | Denied;

export function allow(warnings: string[] = [], mutated?: V1Pod): Allowed {
  return mutated === undefined ? { allowed: true, warnings } : { allowed: true, warnings, mutated };
}

export function deny(reasons: string[], warnings: string[] = [], code = 403): Denied {
  return { allowed: false, code, reasons, warnings };
}

/** Combines independent checks: denied if any denies (all reasons kept), warnings merged in order. */
export function combine(decisions: Decision[]): Decision {
  const warnings = decisions.flatMap((d) => d.warnings);
  const denials = decisions.filter((d): d is Denied => !d.allowed);
  if (denials.length > 0)
    return deny(
      denials.flatMap((d) => d.reasons),
      warnings,
      denials[0]!.code,
    );
  const combined = allow(warnings);
  // Audit annotations (break-glass records) must survive the combination; a later check wins a key clash.
  for (const d of decisions)
    if (d.allowed && d.auditAnnotations)
      combined.auditAnnotations = { ...combined.auditAnnotations, ...d.auditAnnotations };
  return combined;
}
