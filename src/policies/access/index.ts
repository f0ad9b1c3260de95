// The access checks of the validating webhook (docs/access.md), in one list for src/policies/validate.ts.
// The Pod Security pre-check is a step of the mutating chain instead: podSecurityPrecheck.

import type { Validator } from "../context.js";
import { enforceBaseline } from "./baseline-rule.js";
import { denyReservedBindingMetadata } from "./binding-metadata.js";
import { denyConnectToCvmPods, denyEphemeralContainersInCvmPods } from "./no-way-in.js";
import { enforceSupervisorInput } from "./supervisor-input.js";
import { denyCvmPodTampering } from "./tampering.js";

export { BREAK_GLASS_AUDIT_KEY, isBreakGlass } from "./break-glass.js";
export { podSecurityPrecheck } from "./pod-security.js";

export const ACCESS_VALIDATORS: readonly Validator[] = [
  denyConnectToCvmPods,
  denyEphemeralContainersInCvmPods,
  denyCvmPodTampering,
  enforceBaseline,
  denyReservedBindingMetadata,
  enforceSupervisorInput,
];
