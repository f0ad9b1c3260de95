// The words every policy family shares: which pods are CVM pods, which containers are the mesh's,
// which namespaces opted in, the pod a request carries, and the look-up of a pod a request only
// names. The webhook's namespaceSelector already filters namespaces; the policies check again
// because the CLI and the tests call them directly (defence in depth).

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import type { Config } from "../config/config.js";
import { podShapeProblem } from "../kube/pod-shape.js";
import type { PolicyContext } from "./context.js";

/** A pod that asks to be a CVM: it carries the pod opt-in label. */
export function isCvmPod(pod: V1Pod, config: Config): boolean {
  return hasOptInLabel(pod.metadata?.labels, config);
}

function hasOptInLabel(labels: Readonly<Record<string, string>> | undefined, config: Config): boolean {
  return labels?.[config.labels.podOptIn] === "true";
}

export const ISTIO_PROXY = "istio-proxy";
const MESH_CONTAINER_NAMES: ReadonlySet<string> = new Set([ISTIO_PROXY, "istio-init", "istio-validation"]);

/**
 * Containers that Istio injects, by name: what detection and the CVM mutation go by (they are the
 * mesh's, not the user's). A name proves nothing about origin: the baseline rule of opted-in
 * namespaces relaxes only for containers in the injector's shape (access/injected-shape.ts).
 */
export function isMeshContainer(container: Pick<V1Container, "name">): boolean {
  return MESH_CONTAINER_NAMES.has(container.name);
}

/** The pod's namespace labels from the cluster view; a namespace not (yet) cached counts as unlabelled. */
export function namespaceLabels(pod: V1Pod, ctx: PolicyContext): Readonly<Record<string, string>> {
  const name = ctx.request.namespace ?? pod.metadata?.namespace;
  return (name === undefined ? undefined : ctx.view.namespace(name)?.labels) ?? {};
}

/** The request's namespace (object metadata as a fallback for direct calls). */
export function requestNamespace(ctx: PolicyContext): string {
  return ctx.request.namespace || podOf(ctx.request.object)?.metadata?.namespace || "";
}

/**
 * True when the namespace carries the opt-in label. A namespace the view does not know counts as
 * opted in: the apiserver only calls this webhook for namespaces that matched the opt-in selector,
 * so a miss is a cache that has not caught up yet, and failing closed is the safe reading.
 */
export function isOptedInNamespace(ctx: PolicyContext, namespace: string): boolean {
  const facts = ctx.view.namespace(namespace);
  return facts === undefined || facts.labels[ctx.config.labels.namespaceOptIn] === "true";
}

/** The request's object or oldObject when it is a Pod (in every field we read); else undefined. */
export function podOf(value: unknown): V1Pod | undefined {
  return podShapeProblem(value) === undefined ? (value as V1Pod) : undefined;
}

/**
 * For a pods CREATE (the caller's declared match) in an opted-in namespace: its namespace and pod,
 * or what is wrong with its object. Undefined in a namespace that has not opted in.
 */
export function podCreateInScope(
  ctx: PolicyContext,
): { namespace: string; pod: V1Pod } | { namespace: string; pod?: undefined; problem: string } | undefined {
  const { request } = ctx;
  const namespace = requestNamespace(ctx);
  if (!isOptedInNamespace(ctx, namespace)) return undefined;
  const problem = podShapeProblem(request.object);
  return problem === undefined ? { namespace, pod: request.object as V1Pod } : { namespace, problem };
}

export type CvmLookup = "cvm" | "not-cvm" | "unknown";

/**
 * Whether a pod named in a request is a CVM pod, for requests whose object carries no labels
 * (CONNECT options, old-style subresource objects): the CVM pod cache first, then one direct read.
 * "unknown" when neither answers; callers deny then (fail closed).
 */
export function lookUpCvmPod(
  ctx: PolicyContext,
  namespace: string,
  name: string,
): CvmLookup | Promise<CvmLookup> {
  // A cached CVM pod (every exec into a running CVM) is answered at once, within the request's tick.
  if (ctx.view.cvmPod(namespace, name) !== undefined) return "cvm";
  return readCvmLookup(ctx, namespace, name);
}

async function readCvmLookup(ctx: PolicyContext, namespace: string, name: string): Promise<CvmLookup> {
  let facts;
  try {
    facts = await ctx.view.readPod(namespace, name);
  } catch {
    return "unknown";
  }
  if (facts === undefined) return "unknown";
  return hasOptInLabel(facts.labels, ctx.config) ? "cvm" : "not-cvm";
}

/**
 * A pod is treated as a CVM pod in an UPDATE when either side carries the opt-in label: removing
 * the label in the same request must not switch the protection off.
 */
export function isCvmPodUpdate(
  ctx: PolicyContext,
  oldPod: V1Pod | undefined,
  newPod: V1Pod | undefined,
): boolean {
  return [oldPod, newPod].some((pod) => pod !== undefined && isCvmPod(pod, ctx.config));
}

export function podRef(namespace: string, name: string | undefined): string {
  return `pod ${namespace}/${name || "(unnamed)"}`;
}
