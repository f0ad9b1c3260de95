// Proof of a claimed CVM form (docs/cvm-form.md, "Proof of the form"): re-derive the user's pod from the mutated one,
// re-run the transform, and compare. Equal means the pod is exactly what our mutation produces
// for some admissible pod; anything else was altered or faked. Istio's later additions pass
// because the transform keeps mesh containers, volumes, labels and annotations where they are.
// Used by the mutating webhook (re-invocation) and the validating webhook (anti-spoofing).

import type { V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { differences } from "./diff.js";
import { formOf, type Derived } from "./forms/index.js";
import { FORM_ANNOTATION, MUTATED_ANNOTATION } from "./names.js";
import { transformPod } from "./transform.js";

export interface CvmFormCheck {
  /** The pod carries cvm.dev/mutated. */
  claimed: boolean;
  /** The pod is exactly what the mutation produces from its re-derived original. */
  exact: boolean;
  /** Why it is not exact (empty when exact or not claimed). */
  reasons: string[];
}

/** The user's pod re-derived from a pod in the configured CVM form. */
export function deriveOriginal(pod: V1Pod, config: Config): Derived {
  const form = pod.metadata?.annotations?.[FORM_ANNOTATION];
  if (form !== config.form) {
    return {
      reasons: [
        `${FORM_ANNOTATION} is ${JSON.stringify(form ?? null)}, the configured form is ${config.form}`,
      ],
    };
  }
  return formOf(config).derive(pod, config);
}

export function checkCvmForm(pod: V1Pod, ctx: { config: Config }): CvmFormCheck {
  if (pod.metadata?.annotations?.[MUTATED_ANNOTATION] === undefined)
    return { claimed: false, exact: false, reasons: [] };
  try {
    const derived = deriveOriginal(pod, ctx.config);
    if (!derived.pod) return { claimed: true, exact: false, reasons: derived.reasons };
    const again = transformPod(derived.pod, ctx.config);
    if (!again.allowed) return { claimed: true, exact: false, reasons: again.reasons };
    const diff = differences(again.pod, pod);
    return { claimed: true, exact: diff.length === 0, reasons: diff };
  } catch (error) {
    // A pod shaped too oddly to read back is, by definition, not our form.
    return { claimed: true, exact: false, reasons: [`cannot be re-derived: ${(error as Error).message}`] };
  }
}
