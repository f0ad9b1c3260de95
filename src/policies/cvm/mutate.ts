// The CVM step of the mutating chain: pods labelled for CVM, in namespaces that opted in, become
// CVMs in the configured form; a pod we already mutated (re-invocation) passes unchanged if it is
// still exactly our form and is denied otherwise.

import type { V1Pod } from "@kubernetes/client-node";
import type { PodMutator } from "../context.js";
import { isCvmPod } from "../cvm-pod.js";
import { allow, deny } from "../decision.js";
import { checkCvmForm } from "./derive.js";
import { MUTATED_ANNOTATION } from "./names.js";
import { transformPod } from "./transform.js";

export const mutateCvmPod: PodMutator = (pod: V1Pod, ctx) => {
  const { config, request } = ctx;
  if (!isCvmPod(pod, config)) return allow();
  const namespace = pod.metadata?.namespace || request.namespace || "default";
  const label = config.labels.namespaceOptIn;
  if (ctx.view.namespace(namespace)?.labels[label] !== "true") {
    return deny([
      `namespace ${namespace} has not opted in to CVMs: label it ${label}=true ` +
        `(kubectl label namespace ${namespace} ${label}=true); CVM protections only cover opted-in namespaces`,
    ]);
  }
  if (pod.metadata?.annotations?.[MUTATED_ANNOTATION] !== undefined) {
    const check = checkCvmForm(pod, ctx);
    return check.exact ? allow() : deny([`CVM form was altered: ${check.reasons.join("; ")}`]);
  }
  const result = transformPod(pod, config);
  return result.allowed ? allow(result.warnings, result.pod) : deny(result.reasons, result.warnings);
};
