// What every form's transform returns, and the annotations that mark a pod as ours. Shared by the
// forms and by transform.ts, which picks the form (kept apart so neither imports the other).

import type { V1Pod } from "@kubernetes/client-node";
import type { Form } from "../../config/config.js";
import type { Findings } from "./findings.js";
import { FORM_ANNOTATION, MUTATED_ANNOTATION, MUTATED_VERSION } from "./names.js";

export type TransformResult =
  | { allowed: true; pod: V1Pod; warnings: string[] }
  | { allowed: false; reasons: string[]; warnings: string[] };

export function denied(findings: Findings): TransformResult {
  return { allowed: false, reasons: findings.reasons, warnings: findings.warnings };
}

/** Records the mutation on the pod: writes `pod.metadata` (the caller's own), replaces its annotations. */
export function markMutated(pod: V1Pod, form: Form): void {
  const metadata = (pod.metadata ??= {});
  metadata.annotations = {
    ...metadata.annotations,
    [MUTATED_ANNOTATION]: MUTATED_VERSION,
    [FORM_ANNOTATION]: form,
  };
}

/** The inverse of `markMutated` (in place). */
export function unmarkMutated(pod: V1Pod): void {
  const annotations = pod.metadata?.annotations;
  if (!annotations) return;
  delete annotations[MUTATED_ANNOTATION];
  delete annotations[FORM_ANNOTATION];
  if (Object.keys(annotations).length === 0) delete pod.metadata!.annotations;
}
