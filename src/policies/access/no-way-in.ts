// No way in (docs/access.md): in an envbox CVM the pod's container is the privileged
// supervisor, so exec, attach, port-forward (the pod netns is the supervisor's), the apiserver's
// pod proxy and ephemeral debug containers all lead to root on the node. They are refused for CVM
// pods whatever container they name (an empty name makes the apiserver pick the only container:
// the supervisor). Break-glass groups may get in, with a warning and an audit record.

import type { V1EphemeralContainer } from "@kubernetes/client-node";
import { validator, type PolicyContext } from "../context.js";
import { allow, deny, type Decision } from "../decision.js";
import { allowBreakGlass, breakGlassGroup } from "./break-glass.js";
import { isObject } from "../../kube/object.js";
import {
  isCvmPodUpdate,
  isOptedInNamespace,
  lookUpCvmPod,
  podOf,
  podRef,
  requestNamespace,
  type CvmLookup,
} from "../cvm-pod.js";

const CONNECT_SUBRESOURCES: Readonly<Record<string, string>> = {
  exec: "kubectl exec (and kubectl cp)",
  attach: "kubectl attach",
  portforward: "kubectl port-forward",
  proxy: "the API server's pod proxy",
};

const WAY_IN_INSTEAD =
  "work inside the environment through its own agent (for Coder workspaces: `coder ssh` or the web terminal); " +
  "in an emergency an operator in one of the groups of access.breakGlassGroups can get in (logged)";

function refuse(ctx: PolicyContext, lookup: CvmLookup, what: string, ref: string): Decision {
  if (lookup === "not-cvm") return allow();
  const group = breakGlassGroup(ctx);
  if (group !== undefined) return allowBreakGlass(ctx, group, `${what} into ${ref}`);
  if (lookup === "unknown") {
    return deny([
      `${what} into ${ref} is refused: cvm-admission cannot tell whether it is a CVM pod (it is not in the CVM ` +
        `pod cache and a direct read found nothing or failed), so it fails closed; check the pod name and retry ` +
        `in a few seconds`,
    ]);
  }
  return deny([
    `${what} into ${ref} is refused: it is a CVM pod (label ${ctx.config.labels.podOptIn}=true), whose container ` +
      `is the privileged supervisor, and nobody may enter it; ${WAY_IN_INSTEAD}`,
  ]);
}

/**
 * The pod name a CONNECT request targets. pods/proxy names may carry a scheme and a port
 * (`name:port`, `https:name:port`, as the apiserver's SplitSchemeNamePort reads them); pod names
 * never contain `:`. Undefined when the form is not one of those.
 */
export function connectTargetName(subResource: string, name: string): string | undefined {
  if (subResource !== "proxy") return name || undefined;
  const parts = name.split(":");
  const podName = parts.length === 3 ? parts[1] : parts[0];
  const schemeOk = parts.length !== 3 || ["", "http", "https"].includes(parts[0]!);
  return parts.length <= 3 && schemeOk && podName ? podName : undefined;
}

const CONNECTS = [
  { operations: ["CONNECT"], resources: Object.keys(CONNECT_SUBRESOURCES).map((sub) => `pods/${sub}`) },
] as const;

/** CONNECT on pods/exec, pods/attach, pods/portforward and pods/proxy. */
export const denyConnectToCvmPods = validator(CONNECTS, (ctx) => {
  const { request } = ctx;
  const subResource = request.subResource ?? "";
  const what = CONNECT_SUBRESOURCES[subResource]!;
  const namespace = requestNamespace(ctx);
  if (!isOptedInNamespace(ctx, namespace)) return allow();
  const name = connectTargetName(subResource, request.name ?? "");
  const ref = podRef(namespace, name ?? request.name);
  if (name === undefined) return refuse(ctx, "unknown", what, ref);
  return refuseOnLookup(ctx, lookUpCvmPod(ctx, namespace, name), what, ref);
});

/** Entries of the ephemeral-container list: a Pod (Kubernetes 1.22+) or the old EphemeralContainers kind. */
export function ephemeralContainers(object: unknown): V1EphemeralContainer[] {
  if (!isObject(object)) return [];
  const pod = podOf(object);
  const list = pod !== undefined ? pod.spec?.ephemeralContainers : object["ephemeralContainers"];
  return Array.isArray(list) ? (list.filter(isObject) as unknown as V1EphemeralContainer[]) : [];
}

/** UPDATE on pods/ephemeralcontainers that adds an entry (`kubectl debug` without --copy-to). */
const EPHEMERAL_UPDATES = [{ operations: ["UPDATE"], resources: ["pods/ephemeralcontainers"] }] as const;

export const denyEphemeralContainersInCvmPods = validator(EPHEMERAL_UPDATES, (ctx) => {
  const { request } = ctx;
  const namespace = requestNamespace(ctx);
  if (!isOptedInNamespace(ctx, namespace)) return allow();
  const before = new Set(ephemeralContainers(request.oldObject).map((c) => c.name));
  const added = ephemeralContainers(request.object).filter((c) => !before.has(c.name));
  if (added.length === 0) return allow();

  const oldPod = podOf(request.oldObject);
  const newPod = podOf(request.object);
  const name = request.name || newPod?.metadata?.name || "";
  const what = `adding ephemeral container ${added.map((c) => c.name).join(", ")} (kubectl debug)`;
  const ref = podRef(namespace, name);
  // Pod objects carry the labels; the old EphemeralContainers kind does not, so look the pod up.
  if (oldPod?.metadata !== undefined || newPod?.metadata !== undefined)
    return refuse(ctx, isCvmPodUpdate(ctx, oldPod, newPod) ? "cvm" : "not-cvm", what, ref);
  return refuseOnLookup(ctx, lookUpCvmPod(ctx, namespace, name), what, ref);
}); /** `refuse` once the lookup is known: at once for a cached CVM pod, after the direct read otherwise. */
function refuseOnLookup(
  ctx: PolicyContext,
  lookup: CvmLookup | Promise<CvmLookup>,
  what: string,
  ref: string,
): Decision | Promise<Decision> {
  return lookup instanceof Promise
    ? lookup.then((known) => refuse(ctx, known, what, ref))
    : refuse(ctx, lookup, what, ref);
}
