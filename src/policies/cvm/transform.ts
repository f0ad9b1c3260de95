// The CVM transform: the user's pod -> the pod we admit, in the configured form. Pure and
// deterministic: the input is never modified, the output depends only on (pod, config).

import type { V1Pod } from "@kubernetes/client-node";
import type { Config, Form } from "../../config/config.js";
import { transformEnvbox } from "./envbox.js";
import type { Findings } from "./findings.js";
import { FORM_ANNOTATION, MUTATED_ANNOTATION, MUTATED_VERSION } from "./names.js";
import { transformRuntimeClass } from "./runtimeclass.js";

export type TransformResult =
  | { allowed: true; pod: V1Pod; warnings: string[] }
  | { allowed: false; reasons: string[]; warnings: string[] };

export function transformPod(pod: V1Pod, config: Config): TransformResult {
  return config.form === "runtimeclass" ? transformRuntimeClass(pod, config) : transformEnvbox(pod, config);
}

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
