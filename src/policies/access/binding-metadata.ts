// A Binding's metadata lands on its pod: the apiserver copies a Binding's annotations onto the pod
// it binds, and with the PodTopologyLabelsAdmission feature its labels too
// (pkg/registry/core/pod/storage, setPodNodeAndMetadata). A pods/binding CREATE carrying cvm.dev/*
// keys would therefore add or change them past the UPDATE rule of tampering.ts, on any pod of an
// opted-in namespace; it is refused whoever sends it.

import { validator, type PolicyContext } from "../context.js";
import { BINDING_CREATE } from "../matches.js";
import { allow, deny } from "../decision.js";
import { isObject } from "../../kube/object.js";
import { isReservedKey, showKey } from "./reserved-metadata.js";
import { isOptedInNamespace, podRef, requestNamespace } from "../cvm-pod.js";

function reservedKeys(metadata: unknown, field: "labels" | "annotations", ctx: PolicyContext): string[] {
  const map = isObject(metadata) && isObject(metadata[field]) ? metadata[field] : {};
  return Object.keys(map)
    .filter((key) => isReservedKey(key, ctx.config))
    .sort()
    .map((key) => `${field === "labels" ? "label" : "annotation"} ${showKey(key)}`);
}

export const denyReservedBindingMetadata = validator(BINDING_CREATE, (ctx) => {
  const { request } = ctx;
  const namespace = requestNamespace(ctx);
  if (!isOptedInNamespace(ctx, namespace)) return allow();
  const metadata = isObject(request.object) ? request.object["metadata"] : undefined;
  const reserved = [...reservedKeys(metadata, "labels", ctx), ...reservedKeys(metadata, "annotations", ctx)];
  if (reserved.length === 0) return allow();
  return deny([
    `binding of ${podRef(namespace, request.name)} refused: it carries ${reserved.join(", ")}, which the API server ` +
      `would copy onto the pod; cvm.dev/* labels and annotations are set by cvm-admission when a pod is created ` +
      `and by nothing else`,
  ]);
});
