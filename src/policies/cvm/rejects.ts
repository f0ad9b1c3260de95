// The rows of the reject table (docs/cvm-form.md) that no encoder covers: pod-level settings that
// would hand the privileged supervisor to the user, and container fields with no meaning inside
// the CVM. Every finding names the field it is about; lossy-but-safe fields become warnings.

import type { V1Container, V1LifecycleHandler, V1Pod } from "@kubernetes/client-node";
import { CONTAINER_FIELDS } from "../../kube/pod-shape.js";
import { baselineViolations, describeViolations } from "../../kube/pod-security-baseline.js";
import { isMeshContainer } from "../cvm-pod.js";
import type { Findings } from "./findings.js";
import { RESERVED_VOLUME_PREFIX, SUPERVISOR_NAME } from "./names.js";

export function rejectPodFields(pod: V1Pod, findings: Findings): void {
  const spec = pod.spec ?? { containers: [] };
  const reasons = findings.reasons;
  (pod.metadata?.ownerReferences ?? []).forEach((owner, i) => {
    if (owner.kind === "Job") {
      reasons.push(
        `metadata.ownerReferences[${i}]: owned by Job ${owner.name}; CVM pods never complete, so a Job would never finish: run the work from a Deployment or a bare pod, or as a Job that is not a CVM`,
      );
    }
  });
  const incompatible =
    "would hand the privileged supervisor to the user: remove it (the CVM has namespaces of its own); " +
    "node-level tools belong in a pod that is not a CVM";
  if (spec.hostNetwork) reasons.push(`spec.hostNetwork: true ${incompatible}`);
  if (spec.hostPID) reasons.push(`spec.hostPID: true ${incompatible}`);
  if (spec.hostIPC) reasons.push(`spec.hostIPC: true ${incompatible}`);
  if (spec.shareProcessNamespace) reasons.push(`spec.shareProcessNamespace: true ${incompatible}`);
  if (spec.hostUsers === false) {
    reasons.push(
      `spec.hostUsers: false cannot hold the privileged envbox supervisor: remove it (the CVM runs in a user namespace ` +
        `of its own), or ask for the runtimeclass form`,
    );
  }
  if (spec.runtimeClassName !== undefined) {
    reasons.push(
      `spec.runtimeClassName: ${spec.runtimeClassName} would replace envbox's runtime: remove it (the CVM runs under sysbox already)`,
    );
  }
  if (spec.os?.name === "windows")
    reasons.push(`spec.os.name: windows; CVMs run on Linux only: remove the CVM label for Windows pods`);
  (spec.initContainers ?? []).forEach((c, i) => {
    if (!isMeshContainer(c)) checkInitContainer(c, `spec.initContainers[${i}]`, findings);
  });
  if ((spec.ephemeralContainers ?? []).length > 0) {
    reasons.push(
      `spec.ephemeralContainers: not allowed on a CVM pod (they would run in the supervisor): debug inside the CVM through its own shell (Coder's agent) instead`,
    );
  }
  (spec.volumes ?? []).forEach((v, i) => {
    if (v.hostPath)
      reasons.push(
        `spec.volumes[${i}] (${v.name}): hostPath cannot be passed into a CVM: use a persistentVolumeClaim, or an emptyDir for scratch space`,
      );
    if (v.name.startsWith(RESERVED_VOLUME_PREFIX)) {
      reasons.push(
        `spec.volumes[${i}].name: ${v.name} is reserved (${RESERVED_VOLUME_PREFIX}* volumes belong to the CVM supervisor): rename the volume`,
      );
    }
  });
  spec.containers.forEach((c, i) => {
    if (c.name === SUPERVISOR_NAME)
      reasons.push(`spec.containers[${i}].name: ${SUPERVISOR_NAME} is reserved: rename the container`);
    if (isMeshContainer(c) && c.securityContext?.privileged) {
      reasons.push(
        `spec.containers[${i}] (${c.name}): a privileged mesh container is not allowed beside a CVM: use Istio's CNI or ambient mode`,
      );
    }
  });
}

/**
 * An init container stays an ordinary init container of the pod, outside the CVM, when it needs
 * nothing of the node (Pod Security baseline's container rules) and mounts only the user's
 * volumes; a restartable one (a native sidecar) would run beside the CVM for its whole life.
 */
function checkInitContainer(c: V1Container, path: string, findings: Findings): void {
  const where = `${path} (${c.name})`;
  if (c.restartPolicy === "Always") {
    findings.reasons.push(
      `${where}: a native sidecar (restartPolicy: Always) cannot run beside the CVM; start the program from the ` +
        `app container's command inside the CVM, or run it in a pod of its own`,
    );
    return;
  }
  // The newest baseline: the validating webhook holds the pod to access.baselineVersion as well.
  const violations = baselineViolations({ spec: { containers: [], initContainers: [c] } });
  const needs =
    violations.length > 0 ? [`violates Pod Security baseline: ${describeViolations(violations)}`] : [];
  for (const mount of c.volumeMounts ?? [])
    if (mount.name.startsWith(RESERVED_VOLUME_PREFIX)) needs.push(`mounts the reserved volume ${mount.name}`);
  if (needs.length > 0) {
    findings.reasons.push(
      `${where}: ${needs.join(", ")}; an init container of a CVM pod runs outside the CVM and may need nothing of ` +
        `the node: drop these settings or do the work in the app container's command inside the CVM`,
    );
    return;
  }
  findings.warnings.push(
    `${where}: runs outside the CVM, as an ordinary init container before the CVM starts; what it writes to the ` +
      `pod's volumes is what the CVM sees`,
  );
}

function checkHandler(handler: V1LifecycleHandler | undefined, path: string, findings: Findings): void {
  if (!handler) return;
  // A sleep runs in the kubelet, not in a container: it stays (supervisorLifecycle keeps it).
  if (handler.exec || handler.httpGet || handler.tcpSocket) {
    findings.warnings.push(
      `${path} removed: it would run in or against the supervisor, not the CVM; start it from your command ` +
        `or the image's init instead (a sleep hook is kept)`,
    );
  }
}

/** The app's lifecycle as the supervisor keeps it: sleep hooks only (they run in the kubelet). */
export function supervisorLifecycle(app: V1Container): V1Container["lifecycle"] {
  const kept: NonNullable<V1Container["lifecycle"]> = {};
  if (app.lifecycle?.postStart?.sleep) kept.postStart = { sleep: app.lifecycle.postStart.sleep };
  if (app.lifecycle?.preStop?.sleep) kept.preStop = { sleep: app.lifecycle.preStop.sleep };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

export function rejectContainerFields(app: V1Container, path: string, findings: Findings): void {
  const reasons = findings.reasons;
  for (const field of Object.keys(app)) {
    // The 1.35 fields are carried into the CVM, refused or warned about (here and by the
    // encoders); a field of a newer Kubernetes would vanish unsaid with the replaced container.
    if (!CONTAINER_FIELDS.has(field)) {
      findings.warnings.push(
        `${path}.${field}: unknown to cvm-admission; dropped (it does not reach the CVM)`,
      );
    }
  }
  if (!app.image) reasons.push(`${path}.image: required (it becomes the CVM's inner image)`);
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
    if (app[probe]) {
      findings.warnings.push(
        `${path}.${probe} removed: it would probe the supervisor, not the CVM (whose ports are not on the pod IP); ` +
          `let the CVM's own init (systemd) watch the program`,
      );
    }
  }
  checkHandler(app.lifecycle?.postStart, `${path}.lifecycle.postStart`, findings);
  checkHandler(app.lifecycle?.preStop, `${path}.lifecycle.preStop`, findings);
  if (app.lifecycle?.stopSignal) {
    findings.warnings.push(
      `${path}.lifecycle.stopSignal removed: envbox stops the CVM on SIGTERM and would not understand another signal`,
    );
  }
  (app.ports ?? []).forEach((port, i) => {
    if (port.hostPort)
      reasons.push(
        `${path}.ports[${i}].hostPort: host ports cannot reach the CVM: remove it and expose the port through a Service`,
      );
  });
  if ((app.volumeDevices ?? []).length > 0)
    reasons.push(
      `${path}.volumeDevices: block devices cannot be passed into the CVM: use a filesystem volume (volumeMounts)`,
    );
  if (app.restartPolicy !== undefined || (app.restartPolicyRules ?? []).length > 0) {
    reasons.push(
      `${path}.restartPolicy: per-container restart rules have no meaning inside the CVM: remove them (the pod's restartPolicy applies)`,
    );
  }
  if ((app.ports ?? []).length > 0) {
    findings.warnings.push(
      `${path}.ports: kept on the supervisor for Services, but envbox publishes no ports: nothing reaches the inner container`,
    );
  }
  if (app.stdin || app.stdinOnce || app.tty) {
    findings.warnings.push(
      `${path}: stdin/stdinOnce/tty dropped; the CVM's process has no terminal (and attach is denied)`,
    );
  }
  if ((app.resizePolicy ?? []).length > 0) {
    findings.warnings.push(`${path}.resizePolicy dropped: the CVM's CPU and memory are fixed when it starts`);
  }
}
