// In-place resize (pods/resize) of a CVM pod, limited to the user's own resources:
// - envbox form: the supervisor carries the resources the user asked for. Its requests may change
//   (scheduling and quota are the user's business), its limits may not: envbox pinned them into the
//   inner container at start (CODER_CPUS, CODER_MEMORY), so a new limit would either not reach the
//   user's container or starve the privileged daemons around it.
// - runtimeclass form: the user's own (non-mesh) containers may be resized freely.
// - every other container (Istio's sidecars) belongs to someone else and keeps its resources.

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { SUPERVISOR_NAME } from "../cvm/names.js";
import { isMeshContainer } from "../cvm-pod.js";

function allContainers(pod: V1Pod | undefined): V1Container[] {
  return [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])];
}

/** Resource changes the user may not make; empty when the resize is acceptable. */
export function resizeChanges(oldPod: V1Pod | undefined, newPod: V1Pod | undefined): string[] {
  const before = new Map(allContainers(oldPod).map((c) => [c.name, c.resources ?? {}]));
  const envboxForm = before.has(SUPERVISOR_NAME);
  const problems: string[] = [];
  for (const container of allContainers(newPod)) {
    const old = before.get(container.name) ?? {};
    const now = container.resources ?? {};
    if (isDeepStrictEqual(old, now)) continue;
    if (container.name === SUPERVISOR_NAME) {
      if (!isDeepStrictEqual(old.limits ?? {}, now.limits ?? {})) {
        problems.push(
          `the limits of ${SUPERVISOR_NAME} cannot change in place: envbox fixed the inner container's CPU and ` +
            `memory (CODER_CPUS, CODER_MEMORY) when it started; requests may be resized, new limits need a new pod`,
        );
      }
    } else if (envboxForm || isMeshContainer(container)) {
      const whose = isMeshContainer(container)
        ? "it belongs to the Istio mesh"
        : `only ${SUPERVISOR_NAME}, which carries your container's resources, may be resized`;
      problems.push(`container ${container.name} cannot be resized: ${whose}`);
    }
  }
  return problems;
}
