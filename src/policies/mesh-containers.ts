// Containers that Istio injects. The CVM mutation leaves them alone (they are the mesh's, not the
// user's), and the anti-faking check exempts them (DESIGN §12).

import type { V1Container } from "@kubernetes/client-node";

export const ISTIO_PROXY = "istio-proxy";
const MESH_CONTAINER_NAMES: ReadonlySet<string> = new Set([ISTIO_PROXY, "istio-init", "istio-validation"]);

export function isMeshContainer(container: Pick<V1Container, "name">): boolean {
  return MESH_CONTAINER_NAMES.has(container.name);
}
