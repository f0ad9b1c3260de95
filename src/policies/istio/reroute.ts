// Istio's "keep the mesh, fix capture" knob (docs/istio.md): interfaces listed here have their
// inbound traffic treated as outbound, which is what envbox's docker0 bridge needs. The deprecated
// alias is honoured when reading, as Istio's template does.

export const REROUTE_ANNOTATION = "istio.io/reroute-virtual-interfaces";
const DEPRECATED_REROUTE_ANNOTATION = "traffic.sidecar.istio.io/kubevirtInterfaces";
export const REROUTE_INTERFACE = "docker0";

export function reroutesDocker0(annotations: Readonly<Record<string, string>>): boolean {
  const listed = annotations[REROUTE_ANNOTATION] ?? annotations[DEPRECATED_REROUTE_ANNOTATION] ?? "";
  return listed.split(",").some((name) => name.trim() === REROUTE_INTERFACE);
}
