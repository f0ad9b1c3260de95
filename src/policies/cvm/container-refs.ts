// References to a container by name follow it into the supervisor (DESIGN §3), so the apiserver
// accepts the pod: resourceFieldRef.containerName in any env or downwardAPI volume, and the
// kubectl default-container annotation.

import type { V1DownwardAPIVolumeFile, V1EnvVar, V1Pod } from "@kubernetes/client-node";
import { DEFAULT_CONTAINER_ANNOTATION } from "./names.js";

function renameInEnv(env: V1EnvVar[] | undefined, from: string, to: string): void {
  for (const e of env ?? []) {
    const ref = e.valueFrom?.resourceFieldRef;
    if (ref?.containerName === from) ref.containerName = to;
  }
}

function renameInItems(items: V1DownwardAPIVolumeFile[] | undefined, from: string, to: string): void {
  for (const item of items ?? []) {
    if (item.resourceFieldRef?.containerName === from) item.resourceFieldRef.containerName = to;
  }
}

/** Renames every by-name reference to container `from` in place. */
export function renameContainerReferences(pod: V1Pod, from: string, to: string): void {
  const annotations = pod.metadata?.annotations;
  if (annotations?.[DEFAULT_CONTAINER_ANNOTATION] === from) annotations[DEFAULT_CONTAINER_ANNOTATION] = to;
  const spec = pod.spec;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])])
    renameInEnv(c.env, from, to);
  for (const v of spec?.volumes ?? []) {
    renameInItems(v.downwardAPI?.items, from, to);
    for (const source of v.projected?.sources ?? []) renameInItems(source.downwardAPI?.items, from, to);
  }
}
