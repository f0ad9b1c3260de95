// The mutating webhook's policy: pods CREATE. Each step takes the pod as the previous one left it;
// the first denial stops the chain (later steps would only judge a pod that will never exist).

import type { V1Pod } from "@kubernetes/client-node";
import { podSecurityPrecheck } from "./access/index.js";
import type { PolicyContext, PodMutator } from "./context.js";
import { mutateCvmPod } from "./cvm/mutate.js";
import { allow, deny, type Decision } from "./decision.js";
import { istioMutation } from "./istio/mutation.js";

// The Pod Security pre-check runs before the CVM transform (a clear message instead of Pod
// Security's generic one); istioMutation runs after it (it records the finding on the transformed pod).
const MUTATION_CHAIN: readonly PodMutator[] = [podSecurityPrecheck, mutateCvmPod, istioMutation];

export function mutatePod(ctx: PolicyContext): Decision {
  const { request } = ctx;
  if (request.operation !== "CREATE" || request.resource.resource !== "pods" || request.subResource) {
    return allow();
  }
  const original = request.object as V1Pod | undefined;
  if (typeof original !== "object" || original === null) {
    return deny(["request.object must be the Pod being created"], [], 400);
  }
  let pod = original;
  const warnings: string[] = [];
  for (const step of MUTATION_CHAIN) {
    const decision = step(pod, ctx);
    warnings.push(...decision.warnings);
    if (!decision.allowed) return { ...decision, warnings };
    if (decision.mutated) pod = decision.mutated;
  }
  return allow(warnings, pod === original ? undefined : pod);
}
