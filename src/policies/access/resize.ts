// In-place resize (pods/resize) of a CVM pod, limited to the user's own resources. The form registry
// (src/policies/cvm/forms/) says which container, if any, carries them with limits fixed at start:
// - a pod that has such a container (the envbox supervisor): its requests may change (scheduling and
//   quota are the user's business), its limits may not, and no other container may be resized;
// - a form without one (runtimeclass): the user's own (non-mesh) containers may be resized freely;
// - every mesh container (Istio's sidecars) belongs to someone else and keeps its resources.

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { FORMS, type FixedLimits } from "../cvm/forms/index.js";
import { isMeshContainer } from "../cvm-pod.js";

/** The forms' fixed-limit containers by name. */
const FIXED_LIMITS = new Map(
  Object.values(FORMS).flatMap((form) =>
    form.fixedLimits ? [[form.fixedLimits.container, form.fixedLimits]] : [],
  ),
);

function allContainers(pod: V1Pod | undefined): V1Container[] {
  return [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])];
}

/** Resource changes the user may not make; empty when the resize is acceptable. */
export function resizeChanges(oldPod: V1Pod | undefined, newPod: V1Pod | undefined): string[] {
  const before = new Map(allContainers(oldPod).map((c) => [c.name, c.resources ?? {}]));
  const carrier: FixedLimits | undefined = [...FIXED_LIMITS.values()].find((f) => before.has(f.container));
  const problems: string[] = [];
  for (const container of allContainers(newPod)) {
    const old = before.get(container.name) ?? {};
    const now = container.resources ?? {};
    if (isDeepStrictEqual(old, now)) continue;
    const fixed = FIXED_LIMITS.get(container.name);
    if (fixed) {
      if (!isDeepStrictEqual(old.limits ?? {}, now.limits ?? {})) {
        problems.push(
          `the limits of ${fixed.container} cannot change in place: ${fixed.why}; ` +
            `requests may be resized, new limits need a new pod`,
        );
      }
    } else if (isMeshContainer(container)) {
      problems.push(`container ${container.name} cannot be resized: it belongs to the Istio mesh`);
    } else if (carrier) {
      problems.push(
        `container ${container.name} cannot be resized: ` +
          `only ${carrier.container}, which carries your container's resources, may be resized`,
      );
    }
  }
  return problems;
}
