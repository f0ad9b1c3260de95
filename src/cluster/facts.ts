// Kubernetes objects -> the small facts the policies read (src/cluster/view.ts). Shared by the
// live watches and the file-backed view so both sources agree on what a fact means.

import type { V1Namespace, V1Node, V1Pod } from "@kubernetes/client-node";
import type { NamespaceFacts, NodeFacts, PodFacts } from "./view.js";

export function nodeFacts(node: V1Node, eligibleLabel: string): NodeFacts {
  const info = node.status?.nodeInfo;
  const facts: NodeFacts = {
    name: node.metadata?.name ?? "",
    kernelVersion: info?.kernelVersion ?? "",
    osImage: info?.osImage ?? "",
    operatingSystem: info?.operatingSystem ?? "",
  };
  const label = node.metadata?.labels?.[eligibleLabel];
  if (label !== undefined) facts.eligibleLabel = label;
  return facts;
}

export function namespaceFacts(namespace: V1Namespace): NamespaceFacts {
  return { name: namespace.metadata?.name ?? "", labels: { ...namespace.metadata?.labels } };
}

export function podFacts(pod: V1Pod): PodFacts {
  const facts: PodFacts = {
    namespace: pod.metadata?.namespace ?? "default",
    name: pod.metadata?.name ?? "",
    labels: { ...pod.metadata?.labels },
    annotations: { ...pod.metadata?.annotations },
  };
  if (pod.spec?.nodeName) facts.nodeName = pod.spec.nodeName;
  return facts;
}
