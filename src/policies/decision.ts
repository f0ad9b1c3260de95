// What every policy returns. Policies are pure: (request, cluster view, config) -> Decision.
// The admission layer turns a Decision into an AdmissionResponse (patch, status, uid), and its
// observations into log lines and metrics.

import type { V1Pod } from "@kubernetes/client-node";

export type IstioOutcome = "unchanged" | "opted-out" | "rerouted" | "allowed" | "warned" | "denied";

/**
 * What a policy saw or let through, for the admission log and the metrics (src/telemetry/); never
 * changes the answer. Policies report; they do not count.
 */
export type Observation =
  | {
      kind: "break-glass";
      /** Who got in, through which group, to do what (also the audit annotation's value). */
      record: string;
    }
  | {
      kind: "istio-finding";
      /** The finding's state (src/policies/istio/detect.ts) and what the policy did about it. */
      state: string;
      outcome: IstioOutcome;
    }
  | {
      /** A CVM pod refused a node by the backstop (it got past the node affinity). */
      kind: "node-refused";
      request: "binding" | "create";
      verdict: string;
    };

interface Observed {
  /** Absent when there is nothing to report (most decisions). */
  observations?: Observation[];
}

export interface Allowed extends Observed {
  allowed: true;
  /** Lossy-but-safe things the user should know; sent as AdmissionReview warnings. */
  warnings: string[];
  /** The object as the mutating webhook wants it; the patch is computed from it. Absent = unchanged. */
  mutated?: V1Pod;
  auditAnnotations?: Record<string, string>;
}

export interface Denied extends Observed {
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

/** `decision` with `more` observations added (the decision itself when there are none). */
export function withObservations<D extends Decision>(decision: D, more: readonly Observation[]): D {
  if (more.length === 0) return decision;
  return { ...decision, observations: [...(decision.observations ?? []), ...more] };
}

/**
 * Combines independent checks: denied if any denies (all reasons kept), warnings merged in order;
 * every check's observations are kept, whatever the answer.
 */
export function combine(decisions: Decision[]): Decision {
  const warnings = decisions.flatMap((d) => d.warnings);
  const observations = decisions.flatMap((d) => d.observations ?? []);
  const denials = decisions.filter((d): d is Denied => !d.allowed);
  if (denials.length > 0)
    return withObservations(
      deny(
        denials.flatMap((d) => d.reasons),
        warnings,
        denials[0]!.code,
      ),
      observations,
    );
  const combined = allow(warnings);
  // Audit annotations (break-glass records) must survive the combination; a later check wins a key clash.
  for (const d of decisions)
    if (d.allowed && d.auditAnnotations)
      combined.auditAnnotations = { ...combined.auditAnnotations, ...d.auditAnnotations };
  return withObservations(combined, observations);
}
