// For `cvm-admission doctor`: the namespaces where a CVM pod, as the user writes it, would meet
// Istio (a sidecar injected, or ambient capture), with the signal that says so.

import type { NamespaceFacts } from "../../cluster/view.js";
import { detectIstio, type IstioFinding } from "./detect.js";

export interface MeshNamespace {
  namespace: string;
  finding: IstioFinding;
}

/** Sorted by namespace name. A bare pod stands for any CVM pod that carries no Istio labels of its own. */
export function namespacesCapturingCvmPods(namespaces: Iterable<NamespaceFacts>): MeshNamespace[] {
  const found: MeshNamespace[] = [];
  for (const { name, labels } of namespaces) {
    const finding = detectIstio({ metadata: { namespace: name } }, labels);
    if (finding.state === "will-be-injected" || finding.state === "ambient")
      found.push({ namespace: name, finding });
  }
  return found.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
}
