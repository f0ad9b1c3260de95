// The mutating webhook's policy: pods CREATE. Each step takes the pod as the previous one left it;
// the first denial stops the chain (later steps would only judge a pod that will never exist).

import type { V1Pod } from "@kubernetes/client-node";
import { podSecurityPrecheck } from "./access/index.js";
import type { PolicyContext, PodMutator, WebhookPolicy } from "./context.js";
import { mutateCvmPod } from "./cvm/mutate.js";
import { isObject } from "../kube/object.js";
import { isCvmPod } from "./cvm-pod.js";
import { allow, deny, withObservations, type Decision, type Observation } from "./decision.js";
import { istioMutation } from "./istio/mutation.js";
import { POD_CREATE } from "./matches.js";

// The Pod Security pre-check runs before the CVM transform (a clear message instead of Pod
// Security's generic one); istioMutation runs after it (it records the finding on the transformed pod).
const MUTATION_CHAIN: readonly PodMutator[] = [podSecurityPrecheck, mutateCvmPod, istioMutation];

export const mutatePod: WebhookPolicy = {
  matches: POD_CREATE,
  // The chart's objectSelector sends only labelled pods; every step passes any other pod unchanged,
  // so the CLI's and forged requests with one are allowed before the pod is checked or read. A
  // request without a pod object is judged (and refused: a CREATE always carries its object).
  applies: ({ request, config }) => !isObject(request.object) || isCvmPod(request.object, config),
  decide: mutate,
};

function mutate(ctx: PolicyContext): Decision {
  const { request } = ctx;
  const original = request.object as V1Pod | undefined;
  if (typeof original !== "object" || original === null) {
    return deny(["request.object must be the Pod being created"], [], 400);
  }
  let pod = original;
  const warnings: string[] = [];
  const observations: Observation[] = [];
  for (const step of MUTATION_CHAIN) {
    const decision = step(pod, ctx);
    warnings.push(...decision.warnings);
    observations.push(...(decision.observations ?? []));
    if (!decision.allowed)
      return withObservations(deny(decision.reasons, warnings, decision.code), observations);
    if (decision.mutated) pod = decision.mutated;
  }
  return withObservations(allow(warnings, pod === original ? undefined : pod), observations);
}
