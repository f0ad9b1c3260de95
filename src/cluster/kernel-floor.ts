// The kernel a node needs for the configured form. The runtimeclass form with user namespaces
// (hostUsers: false) needs Linux 6.3 or newer in practice (Kubernetes' user-namespace
// documentation: idmapped mounts on the filesystems pods use, tmpfs among them, arrived in 6.3),
// so its floor is the higher of kernel.minimum and 6.3; every other form's is kernel.minimum.
// Everything that judges nodes (the label, the affinity, the binding backstop, check-node, nodes,
// doctor) judges against this floor.

import type { Config } from "../config/config.js";
import { compareRelease, parseMinimum } from "./kernel.js";

export const USER_NAMESPACE_KERNEL = "6.3";

function usesUserNamespaces(config: Config): boolean {
  return config.form === "runtimeclass" && config.runtimeClass.userNamespaces === "hostUsers";
}

export function kernelFloor(config: Config): string {
  const minimum = config.kernel.minimum;
  if (!usesUserNamespaces(config)) return minimum;
  return compareRelease(parseMinimum(minimum), parseMinimum(USER_NAMESPACE_KERNEL)) >= 0
    ? minimum
    : USER_NAMESPACE_KERNEL;
}

/** Why the floor is above kernel.minimum, for check-node and doctor; undefined when it is not. */
export function kernelFloorNote(config: Config): string | undefined {
  if (kernelFloor(config) === config.kernel.minimum) return undefined;
  return (
    `the runtimeclass form with user namespaces (hostUsers: false) needs kernel ${USER_NAMESPACE_KERNEL} or newer, ` +
    `above kernel.minimum ${config.kernel.minimum}`
  );
}
