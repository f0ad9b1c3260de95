// Which requests the access rules cover: opted-in namespaces, and within them CVM pods. The
// webhook's namespaceSelector already filters namespaces; the validators check again because the
// CLI and the tests call them directly (defence in depth).

import type { V1Pod } from "@kubernetes/client-node";
import type { PolicyContext } from "../context.js";
import { isCvmPod } from "../istio/conflict.js";

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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The request's object or oldObject when it is a Pod; undefined for option objects and garbage. */
export function podOf(value: unknown): V1Pod | undefined {
  return isObject(value) && (value["kind"] === undefined || value["kind"] === "Pod")
    ? (value as V1Pod)
    : undefined;
}

export type CvmLookup = "cvm" | "not-cvm" | "unknown";

/**
 * Whether a pod named in a request is a CVM pod, for requests whose object carries no labels
 * (CONNECT options, old-style subresource objects): the CVM pod cache first, then one direct read.
 * "unknown" when neither answers; callers deny then (fail closed).
 */
export async function lookUpCvmPod(ctx: PolicyContext, namespace: string, name: string): Promise<CvmLookup> {
  if (ctx.view.cvmPod(namespace, name) !== undefined) return "cvm";
  let facts;
  try {
    facts = await ctx.view.readPod(namespace, name);
  } catch {
    return "unknown";
  }
  if (facts === undefined) return "unknown";
  return facts.labels[ctx.config.labels.podOptIn] === "true" ? "cvm" : "not-cvm";
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
