// Containers that Istio injects, by name: what detection and the CVM mutation go by (they are the
// mesh's, not the user's). A name proves nothing about origin: the baseline rule of opted-in
// namespaces relaxes only for containers in the injector's shape (injected-shape.ts).

import type { V1Container } from "@kubernetes/client-node";

export const ISTIO_PROXY = "istio-proxy";
const MESH_CONTAINER_NAMES: ReadonlySet<string> = new Set([ISTIO_PROXY, "istio-init", "istio-validation"]);

export function isMeshContainer(container: Pick<V1Container, "name">): boolean {
  return MESH_CONTAINER_NAMES.has(container.name);
}
