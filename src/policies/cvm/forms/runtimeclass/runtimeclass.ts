// The runtimeclass form (docs/cvm-form.md): for nodes with sysbox installed. The user's containers
// run as system containers as they are; the pod only gets the RuntimeClass, a user namespace
// (hostUsers: false, or CRI-O's annotation) and the eligibility affinity. Sysbox forbids
// privileged containers and host namespaces in its pods, and passes no GPUs into them.

import type { V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../../../config/config.js";
import { isMeshContainer } from "../../../cvm-pod.js";
import { addEligibilityAffinity, removeEligibilityAffinity } from "../../../nodes/affinity.js";
import { newFindings, type Findings } from "../../findings.js";
import { gpuResourceFields } from "../../gpu.js";
import { ENVBOX_ANNOTATIONS } from "../../names.js";
import { denied, markMutated, unmarkMutated, type TransformResult } from "../../transform-result.js";

export const CRIO_USERNS_ANNOTATION = "io.kubernetes.cri-o.userns-mode";
export const CRIO_USERNS_MODE = "auto:size=65536";

function rejectRuntimeClassFields(pod: V1Pod, config: Config, findings: Findings): void {
  const spec = pod.spec!;
  const reasons = findings.reasons;
  const breaks = "breaks sysbox's container-to-host isolation";
  if (spec.hostNetwork) reasons.push(`spec.hostNetwork: true ${breaks}`);
  if (spec.hostPID) reasons.push(`spec.hostPID: true ${breaks}`);
  if (spec.hostIPC) reasons.push(`spec.hostIPC: true ${breaks}`);
  if (spec.shareProcessNamespace)
    reasons.push(`spec.shareProcessNamespace: true; systemd in a system container must be PID 1`);
  if (spec.os?.name === "windows") reasons.push(`spec.os.name: windows; CVMs run on Linux only`);
  if (spec.runtimeClassName !== undefined && spec.runtimeClassName !== config.runtimeClass.name) {
    reasons.push(
      `spec.runtimeClassName: ${spec.runtimeClassName} conflicts with the CVM RuntimeClass ${config.runtimeClass.name}`,
    );
  }
  if (spec.hostUsers === true && config.runtimeClass.userNamespaces === "hostUsers") {
    reasons.push(`spec.hostUsers: true; CVMs run in a user namespace (hostUsers: false)`);
  }
  const annotation = pod.metadata?.annotations?.[CRIO_USERNS_ANNOTATION];
  if (
    annotation !== undefined &&
    annotation !== CRIO_USERNS_MODE &&
    config.runtimeClass.userNamespaces === "crioAnnotation"
  ) {
    reasons.push(
      `metadata.annotations["${CRIO_USERNS_ANNOTATION}"]: ${annotation} conflicts with the CVM's ${CRIO_USERNS_MODE}`,
    );
  }
  for (const kind of ["containers", "initContainers"] as const) {
    (spec[kind] ?? []).forEach((c, i) => {
      if (!isMeshContainer(c) && c.securityContext?.privileged) {
        reasons.push(
          `spec.${kind}[${i}].securityContext.privileged: not allowed in a sysbox pod (${c.name})`,
        );
      }
      // sysbox does not pass GPUs into system containers (nestybox/sysbox issue 50 is open).
      for (const field of gpuResourceFields(c.resources, config)) {
        reasons.push(
          `spec.${kind}[${i}].resources.${field}: sysbox cannot pass GPUs into a system container; run GPU ` +
            `workloads in the envbox form (form: envbox, supervisor.gpu.allowed) or in a pod that is not a CVM`,
        );
      }
    });
  }
}

export function transformRuntimeClass(input: V1Pod, config: Config): TransformResult {
  const findings = newFindings();
  const pod = structuredClone(input);
  const spec = pod.spec;
  if (!spec || !Array.isArray(spec.containers))
    return denied({ reasons: ["spec.containers: required"], warnings: [] });
  rejectRuntimeClassFields(pod, config, findings);
  if (findings.reasons.length > 0) return denied(findings);
  for (const annotation of ENVBOX_ANNOTATIONS) {
    if (pod.metadata?.annotations?.[annotation] !== undefined) {
      findings.warnings.push(
        `metadata.annotations["${annotation}"]: only the envbox form reads it; it does nothing here`,
      );
    }
  }
  spec.runtimeClassName = config.runtimeClass.name;
  if (config.runtimeClass.userNamespaces === "hostUsers") {
    spec.hostUsers = false;
  } else {
    const metadata = (pod.metadata ??= {});
    (metadata.annotations ??= {})[CRIO_USERNS_ANNOTATION] = CRIO_USERNS_MODE;
  }
  addEligibilityAffinity(spec, config);
  markMutated(pod, "runtimeclass");
  return { allowed: true, pod, warnings: findings.warnings };
}

/** The inverse of `transformRuntimeClass` (docs/cvm-form.md, "Proof of the form"). */
export function deriveRuntimeClass(input: V1Pod, config: Config): V1Pod {
  const pod = structuredClone(input);
  const spec = pod.spec;
  if (spec) {
    if (spec.runtimeClassName === config.runtimeClass.name) delete spec.runtimeClassName;
    if (config.runtimeClass.userNamespaces === "hostUsers" && spec.hostUsers === false) delete spec.hostUsers;
    removeEligibilityAffinity(spec, config);
  }
  if (config.runtimeClass.userNamespaces === "crioAnnotation")
    delete pod.metadata?.annotations?.[CRIO_USERNS_ANNOTATION];
  unmarkMutated(pod);
  return pod;
}
