// The scheduling backstop (docs/nodes.md): node affinity keeps CVM pods off ineligible
// nodes; these validators catch what bypasses it, a `pods/binding` CREATE (the scheduler's, or
// anyone's with bind rights) and a pod CREATE with spec.nodeName preset (no scheduler at all).
// A Binding carries no pod labels, so whether its pod is a CVM pod comes from the CVM pod cache or
// one direct read. The node is judged first: a binding to an eligible cached node (every non-CVM
// pod on a Linux node, and every CVM pod the affinity placed) costs one map lookup and nothing more.

import type { V1Binding } from "@kubernetes/client-node";
import type { NodeFacts } from "../../cluster/view.js";
import { lookUpCvmPod, podOf, podRef } from "../cvm-pod.js";
import { validator, type PolicyContext, type Validator } from "../context.js";
import { BINDING_CREATE, POD_CREATE } from "../matches.js";
import { allow, deny, withObservations, type Decision } from "../decision.js";
import { isCvmPod } from "../cvm-pod.js";
import { nodeJudgement } from "../../cluster/eligibility.js";
import type { KernelJudgement } from "../../cluster/kernel.js";
import { kernelFloor } from "../../cluster/kernel-floor.js";

type NodeLookup = { judgement: KernelJudgement } | { judgement?: undefined; problem: string };
type RequestLabel = "binding" | "create";

function judged(node: NodeFacts, ctx: PolicyContext): NodeLookup {
  return { judgement: nodeJudgement(node, kernelFloor(ctx.config)) };
}

/** The node from the cache, else from one direct read (bounded by cluster.readTimeoutMs). */
async function lookUpNode(
  ctx: PolicyContext,
  name: string,
  cached: NodeFacts | undefined,
): Promise<NodeLookup> {
  if (cached !== undefined) return judged(cached, ctx);
  try {
    const read = await ctx.view.readNode(name);
    return read === undefined ? { problem: "the node does not exist" } : judged(read, ctx);
  } catch (err) {
    return { problem: `the node is not cached and reading it failed (${(err as Error).message})` };
  }
}

function verdictFor(
  lookup: NodeLookup,
  ctx: PolicyContext,
  pod: string,
  nodeName: string,
  request: RequestLabel,
  unsure = "",
): Decision {
  if (lookup.judgement?.verdict === "eligible") return allow();
  const why =
    lookup.judgement !== undefined
      ? lookup.judgement.reason
      : `${lookup.problem}, so its kernel cannot be checked against the minimum ${kernelFloor(ctx.config)}`;
  const verb = request === "binding" ? "be bound to" : "run on";
  return withObservations(deny([`CVM ${pod}${unsure} cannot ${verb} node ${nodeName}: ${why}`]), [
    { kind: "node-refused", request, verdict: lookup.judgement?.verdict ?? "unknown" },
  ]);
}

function bindingTarget(object: unknown): { namespace?: string; name?: string; node?: string } {
  if (typeof object !== "object" || object === null) return {};
  const binding = object as V1Binding;
  const node = binding.target?.name;
  return {
    namespace: binding.metadata?.namespace,
    name: binding.metadata?.name,
    node: typeof node === "string" ? node : undefined,
  };
}

/**
 * Binding CREATE: deny a CVM pod's binding to a node that is not eligible (or not known).
 * Synchronous up to the cache lookups, so a binding to an eligible node makes no promise.
 */
export const denyBindingToIneligibleNode = validator(BINDING_CREATE, (ctx) => {
  const { request } = ctx;
  const target = bindingTarget(request.object);
  const namespace = request.namespace || target.namespace || "";
  const podName = request.name || target.name || "";
  if (!target.node)
    return deny([`pods/binding for ${podRef(namespace, podName)} names no target node`], [], 400);

  const cached = ctx.view.node(target.node);
  if (cached !== undefined && nodeJudgement(cached, kernelFloor(ctx.config)).verdict === "eligible")
    return allow();
  return judgeOffEligibleNode(ctx, namespace, podName, target.node, cached);
});

/** A binding to a node not cached as eligible: whether the pod is a CVM pod decides. */
async function judgeOffEligibleNode(
  ctx: PolicyContext,
  namespace: string,
  podName: string,
  nodeName: string,
  cached: NodeFacts | undefined,
): Promise<Decision> {
  const cvm = await lookUpCvmPod(ctx, namespace, podName);
  if (cvm === "not-cvm") return allow();
  // A pod we cannot classify is treated as a CVM pod: the scheduler retries a refused binding.
  const unsure = cvm === "unknown" ? " (could not be read to tell whether it is a CVM pod)" : "";
  const lookup = await lookUpNode(ctx, nodeName, cached);
  return verdictFor(lookup, ctx, podRef(namespace, podName), nodeName, "binding", unsure);
}

/** pods CREATE with spec.nodeName preset: the same rule for CVM pods that skip the scheduler. */
export const denyPodCreateOnIneligibleNode = validator(POD_CREATE, (ctx) => {
  const { request } = ctx;
  const pod = podOf(request.object);
  const nodeName = pod?.spec?.nodeName;
  if (pod === undefined || !nodeName || !isCvmPod(pod, ctx.config)) return allow();
  const namespace = request.namespace || pod.metadata?.namespace || "";
  return lookUpNode(ctx, nodeName, ctx.view.node(nodeName)).then((lookup) =>
    verdictFor(lookup, ctx, podRef(namespace, pod.metadata?.name), nodeName, "create"),
  );
});

/** Both backstops, for src/policies/validate.ts. */
export const NODE_VALIDATORS: readonly Validator[] = [
  denyBindingToIneligibleNode,
  denyPodCreateOnIneligibleNode,
];
