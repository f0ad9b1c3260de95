// Istio fixtures (test/fixtures/istio, copies of Istio's own injector test data) as pods.

import { readFileSync } from "node:fs";
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { AdmissionRequest } from "../../../src/kube/admission-review.js";
import { podFor, type KubeObject } from "../../../src/cli/pod-templates.js";

const FIXTURES = new URL("../../fixtures/istio/", import.meta.url);

export function fixtureObjects(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(new URL(path, FIXTURES), "utf8"))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => obj !== null);
}

/** The pod an inject case describes: the Pod itself or its workload's pod template. */
export function fixturePod(path: string): V1Pod {
  const [obj] = fixtureObjects(path);
  const pod = obj && podFor(obj);
  if (!pod) throw new Error(`${path}: no pod in the first document`);
  return pod;
}

export interface InjectCase {
  case: string;
  input: string;
  injected: string;
}

export const INJECT_CASES: InjectCase[] = JSON.parse(
  readFileSync(new URL("inject/index.json", FIXTURES), "utf8"),
) as InjectCase[];

export function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

/** The same pod with every Istio proxy image replaced, to give the fixtures (all `:latest`) a release. */
export function withProxyImage(pod: V1Pod, image: string): V1Pod {
  const copy = structuredClone(pod);
  for (const container of [...(copy.spec?.initContainers ?? []), ...(copy.spec?.containers ?? [])]) {
    if (container.name.startsWith("istio-")) container.image = image;
  }
  return copy;
}

const DEFAULT_CONTAINER_ANNOTATIONS = [
  "kubectl.kubernetes.io/default-container",
  "kubectl.kubernetes.io/default-logs-container",
];

/**
 * A stand-in for Istio's injector (istiod cannot run here): adds to `pod` exactly what Istio added
 * in one fixture case (the containers, init containers and volumes its status annotation lists,
 * and the labels and annotations it set), the way its template places them.
 */
export function injectLikeIstio(pod: V1Pod, { input, injected }: InjectCase): V1Pod {
  const before = fixturePod(`inject/${input}`);
  const after = fixturePod(`inject/${injected}`);
  const status = JSON.parse(after.metadata?.annotations?.["sidecar.istio.io/status"] ?? "null") as {
    initContainers: string[] | null;
    containers: string[] | null;
    volumes: string[] | null;
  } | null;
  if (!status) throw new Error(`${injected}: Istio did not inject this case`);
  const listed = <T extends { name: string }>(items: T[] | undefined, names: string[] | null) =>
    (items ?? []).filter((item) => (names ?? []).includes(item.name));
  const added = (from: Record<string, string> = {}, to: Record<string, string> = {}) =>
    Object.fromEntries(Object.entries(to).filter(([key, value]) => from[key] !== value));

  const out = structuredClone(pod);
  const spec = out.spec!;
  spec.initContainers = [
    ...listed(after.spec?.initContainers, status.initContainers),
    ...(spec.initContainers ?? []),
  ];
  spec.containers = [...spec.containers, ...listed(after.spec?.containers, status.containers)];
  spec.volumes = [...(spec.volumes ?? []), ...listed(after.spec?.volumes, status.volumes)];
  // Istio names the pod's own first container as the default one, unless the pod already names one.
  const defaults = Object.fromEntries(
    DEFAULT_CONTAINER_ANNOTATIONS.map((key) => [
      key,
      pod.metadata?.annotations?.[key] ?? pod.spec?.containers[0]?.name ?? "",
    ]),
  );
  out.metadata = {
    ...out.metadata,
    labels: { ...out.metadata?.labels, ...added(before.metadata?.labels, after.metadata?.labels) },
    annotations: {
      ...out.metadata?.annotations,
      ...added(before.metadata?.annotations, after.metadata?.annotations),
      ...defaults,
    },
  };
  if (spec.initContainers.length === 0) delete spec.initContainers;
  return out;
}

/** The pod labelled for CVM and placed in `ns`. */
export function asCvmPod(pod: V1Pod, ns: string, name?: string): V1Pod {
  const copy = structuredClone(pod);
  copy.metadata = {
    ...copy.metadata,
    ...(name === undefined ? {} : { name }),
    namespace: ns,
    labels: { ...copy.metadata?.labels, "cvm.dev/enabled": "true" },
  };
  return copy;
}

/** An admission request creating (or updating) `object` in `ns`, as the apiserver sends it. */
export function podRequest(
  ns: string,
  object: V1Pod,
  operation: "CREATE" | "UPDATE" = "CREATE",
): AdmissionRequest {
  return {
    uid: "00000000-0000-0000-0000-000000000001",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    namespace: ns,
    name: object.metadata?.name ?? "p",
    operation,
    userInfo: { username: "alice" },
    object,
  };
}
