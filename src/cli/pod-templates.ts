// Where a pod lives inside the objects `mutate -f` accepts: a Pod is its own pod; workload kinds
// carry a pod template (every workload kind with a pod template).

import type { V1Pod, V1PodTemplateSpec } from "@kubernetes/client-node";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generateName?: string };
  spec?: Record<string, unknown>;
}

/** Kinds whose pods are owned by a Job: the CVM policy must see them as Job-owned. */
const JOB_KINDS = new Set(["Job", "CronJob"]);

function templateOf(obj: KubeObject): V1PodTemplateSpec | undefined {
  switch (obj.kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "ReplicationController":
    case "Job":
      return obj.spec?.["template"] as V1PodTemplateSpec | undefined;
    case "CronJob": {
      const jobTemplate = obj.spec?.["jobTemplate"] as
        { spec?: { template?: V1PodTemplateSpec } } | undefined;
      return jobTemplate?.spec?.template;
    }
    default:
      return undefined;
  }
}

/** The pod to admit for this object, or undefined when the kind holds no pod. */
export function podFor(obj: KubeObject): V1Pod | undefined {
  if (obj.kind === "Pod") return structuredClone(obj) as V1Pod;
  const template = templateOf(obj);
  if (template === undefined) return undefined;
  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...structuredClone(template.metadata ?? {}),
      namespace: obj.metadata?.namespace ?? "default",
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
  pod.metadata!.name ??= obj.metadata?.name;
  if (JOB_KINDS.has(obj.kind ?? "")) {
    pod.metadata!.ownerReferences = [
      {
        apiVersion: "batch/v1",
        kind: "Job",
        name: obj.metadata?.name ?? "job",
        uid: "cli",
        controller: true,
      },
    ];
  }
  return pod;
}

/** Puts a mutated pod back where podFor found it. */
export function withPod(obj: KubeObject, pod: V1Pod): KubeObject {
  if (obj.kind === "Pod") return pod as KubeObject;
  const out = structuredClone(obj);
  const template = templateOf(out)!;
  const metadata = { ...pod.metadata };
  // Fields podFor added for the evaluation only; a template carries neither.
  delete metadata.namespace;
  delete metadata.ownerReferences;
  if (template.metadata?.name === undefined) delete metadata.name;
  template.metadata = metadata;
  template.spec = pod.spec!;
  return out;
}
