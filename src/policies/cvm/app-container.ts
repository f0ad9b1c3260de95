// Picks the user's container: spec.containers minus recognised mesh sidecars, exactly one.

import type { V1Pod } from "@kubernetes/client-node";
import { isMeshContainer } from "../cvm-pod.js";
import type { Findings } from "./findings.js";

/** The index of the app container in spec.containers, or undefined (with a reason) when there is not exactly one. */
export function selectAppContainer(pod: V1Pod, findings: Findings): number | undefined {
  const containers = pod.spec?.containers ?? [];
  const apps = containers.flatMap((c, i) => (isMeshContainer(c) ? [] : [i]));
  if (apps.length === 1) return apps[0];
  const names = apps.map((i) => containers[i]!.name).join(", ");
  findings.reasons.push(
    apps.length === 0
      ? "spec.containers: a CVM pod needs one app container; found none besides mesh sidecars"
      : `spec.containers: CVM pods take exactly one app container; found ${apps.length}: ${names}. Start the ` +
          `others inside the CVM (from the command, or as containers of its own Docker), or run them in another pod`,
  );
  return undefined;
}
