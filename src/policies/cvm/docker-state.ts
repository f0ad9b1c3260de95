// cvm.dev/docker-state-volume (docs/cvm-form.md, "Persistent Docker state"): the pod volume that
// keeps the inner container's images, containers and volumes across restarts. Only a volume that
// holds data of its own and that the kubelet mounts writable can: API volumes are read-only
// projections, an emptyDir is what the default already is.

import type { V1Pod } from "@kubernetes/client-node";
import type { Findings } from "./findings.js";
import { mountedReadOnly } from "./mounts.js";
import { DOCKER_STATE_ANNOTATION } from "./names.js";

/** The volume named by the annotation, or undefined; a bad name is a reason. */
export function dockerStateVolume(pod: V1Pod, findings: Findings): string | undefined {
  const name = pod.metadata?.annotations?.[DOCKER_STATE_ANNOTATION];
  if (name === undefined) return undefined;
  const volume = (pod.spec?.volumes ?? []).find((v) => v.name === name);
  const where = `metadata.annotations["${DOCKER_STATE_ANNOTATION}"]`;
  if (!volume) {
    findings.reasons.push(
      `${where}: ${JSON.stringify(name)} is not a volume of the pod; name the volume (e.g. the workspace PVC) that keeps the inner Docker state`,
    );
    return undefined;
  }
  if (volume.emptyDir || mountedReadOnly(volume)) {
    findings.reasons.push(
      `${where}: volume ${name} cannot keep the inner Docker state (it must be a writable volume with storage of its own, such as a persistentVolumeClaim)`,
    );
    return undefined;
  }
  return name;
}
