// No tampering (docs/access.md): a CVM pod stays what the mutation made of it. Pod UPDATEs may not swap
// an image (`containers[*].image` is mutable: swapping the supervisor's image would run the user's
// code privileged) or change a container's env, and no UPDATE of any pod in an opted-in namespace
// may add, remove or alter a cvm.dev/* label or annotation (pods/status can change metadata too).
// In-place resizes, through pods/resize or a plain UPDATE, are limited to the user's own resources
// (see resizeChanges).

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { validator } from "../context.js";
import { allow, deny } from "../decision.js";
import { reservedMetadataChanges } from "./reserved-metadata.js";
import { resizeChanges } from "./resize.js";
import { isCvmPodUpdate, isOptedInNamespace, podOf, podRef, requestNamespace } from "../cvm-pod.js";

type ContainerList = "containers" | "initContainers";
const CONTAINER_LISTS: readonly ContainerList[] = ["containers", "initContainers"];

function byName(pod: V1Pod | undefined, list: ContainerList): Map<string, V1Container> {
  return new Map((pod?.spec?.[list] ?? []).map((c) => [c.name, c]));
}

/** Image and env changes, container by container (containers cannot be added on UPDATE). */
function specChanges(oldPod: V1Pod | undefined, newPod: V1Pod | undefined): string[] {
  const changes: string[] = [];
  for (const list of CONTAINER_LISTS) {
    const before = byName(oldPod, list);
    for (const [name, after] of byName(newPod, list)) {
      const old = before.get(name);
      if (old === undefined) {
        changes.push(`${list} entry ${name} added`);
        continue;
      }
      if (old.image !== after.image)
        changes.push(`image of ${name} changed from ${old.image} to ${after.image}`);
      if (
        !isDeepStrictEqual(old.env ?? [], after.env ?? []) ||
        !isDeepStrictEqual(old.envFrom ?? [], after.envFrom ?? [])
      ) {
        changes.push(`env of ${name} changed`);
      }
    }
  }
  return changes;
}

// Every pod UPDATE the chart sends: the pod, its status (metadata rides along), resizes and
// ephemeral containers (the reserved metadata must survive each).
const UPDATES = [
  {
    operations: ["UPDATE"],
    resources: ["pods", "pods/status", "pods/resize", "pods/ephemeralcontainers"],
  },
] as const;

export const denyCvmPodTampering = validator(UPDATES, (ctx) => {
  const { request } = ctx;
  const namespace = requestNamespace(ctx);
  if (!isOptedInNamespace(ctx, namespace)) return allow();
  const oldPod = podOf(request.oldObject);
  const newPod = podOf(request.object);
  const ref = podRef(namespace, request.name || newPod?.metadata?.name);

  const reasons: string[] = [];
  const metadata = reservedMetadataChanges(oldPod?.metadata, newPod?.metadata, ctx.config);
  if (metadata.length > 0) {
    reasons.push(
      `update of ${ref} refused: ${metadata.join(", ")}; cvm.dev/* labels and annotations are set by ` +
        `cvm-admission when the pod is created and cannot be added, changed or removed afterwards ` +
        `(to change the CVM settings, delete the pod and create it again)`,
    );
  }
  if (isCvmPodUpdate(ctx, oldPod, newPod)) {
    if (!request.subResource) {
      const spec = specChanges(oldPod, newPod);
      if (spec.length > 0) {
        reasons.push(
          `update of CVM ${ref} refused: ${spec.join("; ")}; the images and env of a CVM pod are fixed when it ` +
            `is created (a new image or env means a new pod: delete it and create it again)`,
        );
      }
      // Where in-place resize is on before pods/resize exists (1.27-1.31, feature gate
      // InPlacePodVerticalScaling), a plain UPDATE is the resize path: the same rule applies.
      const resize = resizeChanges(oldPod, newPod);
      if (resize.length > 0) reasons.push(`update of CVM ${ref} refused: ${resize.join("; ")}`);
    } else if (request.subResource === "resize") {
      const resize = resizeChanges(oldPod, newPod);
      if (resize.length > 0) reasons.push(`resize of CVM ${ref} refused: ${resize.join("; ")}`);
    }
  }
  return reasons.length > 0 ? deny(reasons) : allow();
});
