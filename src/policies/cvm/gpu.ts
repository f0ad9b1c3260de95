// GPU passthrough (docs/cvm-form.md, "GPUs"). A pod asks for a GPU as any pod does: an extended
// resource of supervisor.gpu.resourceNames on its app container. The resource stays on the
// supervisor, so the scheduler places the pod on a GPU node and the device plugin gives the
// supervisor its devices; envbox (CODER_ADD_GPU) passes the GPU devices and driver files it finds
// mounted there into the inner container, with the driver's libraries from the host's library
// directory, which the supervisor mounts read-only (CODER_USR_LIB_DIR). Only where the
// configuration allows it: that directory is a hostPath into a privileged container.
// No cvm.dev/* annotation: the resource is the request (an annotation without it would get no
// devices), and a pod's extended resources cannot change after creation either.

import type { V1EnvVar, V1ResourceRequirements } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import type { Findings } from "./findings.js";
import { ENV, GPU_LIBRARY_PATH } from "./names.js";

/** Where a container asks for a configured GPU resource: `limits["nvidia.com/gpu"]`, ... */
export function gpuResourceFields(resources: V1ResourceRequirements | undefined, config: Config): string[] {
  const names = new Set(config.supervisor.gpu.resourceNames);
  return (["limits", "requests"] as const).flatMap((kind) =>
    Object.keys(resources?.[kind] ?? {})
      .filter((name) => names.has(name))
      .sort()
      .map((name) => `${kind}["${name}"]`),
  );
}

/** Whether the app container gets GPUs; refused (with what to do) when the cluster does not allow them. */
export function gpuAsked(
  resources: V1ResourceRequirements | undefined,
  path: string,
  config: Config,
  findings: Findings,
): boolean {
  const fields = gpuResourceFields(resources, config);
  if (fields.length === 0) return false;
  if (config.supervisor.gpu.allowed) return true;
  for (const field of fields) {
    findings.reasons.push(
      `${path}.resources.${field}: GPU passthrough is off in this cluster (supervisor.gpu.allowed is false); ` +
        `remove the GPU, or ask the cluster's operators to allow GPUs`,
    );
  }
  return false;
}

/** envbox's GPU variables: pass the GPUs in, and find the host's libraries where the supervisor mounts them. */
export function gpuEnv(): V1EnvVar[] {
  return [
    { name: ENV.addGpu, value: "true" },
    { name: ENV.usrLibDir, value: GPU_LIBRARY_PATH },
  ];
}
