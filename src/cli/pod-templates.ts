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

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** The path of the object's pod in messages: "" for a Pod, "spec.template" for a Deployment. */
export function podPath(obj: KubeObject): string | undefined {
  if (obj.kind === "Pod") return "";
  return TEMPLATE_PATHS[obj.kind ?? ""]?.join(".");
}

function templateOf(obj: KubeObject): V1PodTemplateSpec | undefined {
  const path = TEMPLATE_PATHS[obj.kind ?? ""];
  if (path === undefined) return undefined;
  const template = path.reduce<unknown>(
    (node, key) =>
      typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined,
    obj,
  );
  // Not a template at all: the caller reports the object as holding no usable pod.
  return typeof template === "object" && template !== null && !Array.isArray(template)
    ? (template as V1PodTemplateSpec)
    : undefined;
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
