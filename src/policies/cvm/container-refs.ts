// References to a container by name follow it into the supervisor (docs/cvm-form.md), so the apiserver
// accepts the pod: resourceFieldRef.containerName in any env or downwardAPI volume, and the
// kubectl default-container annotation.

import type {
  V1Container,
  V1DownwardAPIVolumeFile,
  V1EnvVar,
  V1Pod,
  V1Volume,
} from "@kubernetes/client-node";
import { DEFAULT_CONTAINER_ANNOTATION } from "./names.js";

/** `list` with `rename` applied to each entry; the same array when no entry changed. */
function mapChanged<T>(list: T[] | undefined, rename: (item: T) => T): T[] | undefined {
  if (list === undefined) return undefined;
  const renamed = list.map(rename);
  return renamed.some((item, i) => item !== list[i]) ? renamed : list;
}

function renameInEnv(env: V1EnvVar[] | undefined, from: string, to: string): V1EnvVar[] | undefined {
  return mapChanged(env, (e) => {
    const ref = e.valueFrom?.resourceFieldRef;
    if (ref?.containerName !== from) return e;
    return { ...e, valueFrom: { ...e.valueFrom, resourceFieldRef: { ...ref, containerName: to } } };
  });
}

function renameInItems(
  items: V1DownwardAPIVolumeFile[] | undefined,
  from: string,
  to: string,
): V1DownwardAPIVolumeFile[] | undefined {
  return mapChanged(items, (item) =>
    item.resourceFieldRef?.containerName === from
      ? { ...item, resourceFieldRef: { ...item.resourceFieldRef, containerName: to } }
      : item,
  );
}

function renameInContainer(c: V1Container, from: string, to: string): V1Container {
  const env = renameInEnv(c.env, from, to);
  return env === c.env ? c : { ...c, env };
}

function renameInVolume(v: V1Volume, from: string, to: string): V1Volume {
  let out = v;
  const items = renameInItems(v.downwardAPI?.items, from, to);
  if (items !== v.downwardAPI?.items) out = { ...out, downwardAPI: { ...v.downwardAPI, items } };
  const sources = mapChanged(v.projected?.sources, (source) => {
    const sourceItems = renameInItems(source.downwardAPI?.items, from, to);
    return sourceItems === source.downwardAPI?.items
      ? source
      : { ...source, downwardAPI: { ...source.downwardAPI, items: sourceItems } };
  });
  if (sources !== v.projected?.sources) out = { ...out, projected: { ...v.projected, sources } };
  return out;
}

/**
 * Renames every by-name reference to container `from`. Writes only into `pod`, `pod.metadata` and
 * `pod.spec` (the caller's own objects); what lies below is replaced where it changes, never
 * written, so it may be shared with another pod (the transform's input).
 */
export function renameContainerReferences(pod: V1Pod, from: string, to: string): void {
  const metadata = pod.metadata;
  if (metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION] === from)
    metadata.annotations = { ...metadata.annotations, [DEFAULT_CONTAINER_ANNOTATION]: to };
  const spec = pod.spec;
  if (!spec) return;
  spec.containers = mapChanged(spec.containers, (c) => renameInContainer(c, from, to))!;
  if (spec.initContainers)
    spec.initContainers = mapChanged(spec.initContainers, (c) => renameInContainer(c, from, to));
  if (spec.volumes) spec.volumes = mapChanged(spec.volumes, (v) => renameInVolume(v, from, to));
}
