// The features of a pod that reach past its own containers into the node: privileged containers,
// added capabilities, hostPath volumes, host namespaces, the reserved cvm-* volumes, and the other
// isolation escapes Pod Security "baseline" forbids (HostProcess, unconfined SELinux types,
// unmasked /proc). An opted-in namespace must allow privileged pods (the envbox supervisor is one),
// so Pod Security no longer stops these there; they are allowed only where cvm-admission's own
// mutation put them (see faking.ts).

import type { V1Container, V1Pod, V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";
import { RESERVED_VOLUME_PREFIX, SUPERVISOR_NAME } from "../cvm/names.js";
import { isMeshContainer } from "../cvm-pod.js";

export interface PrivilegedFeature {
  /** What and where, for the denial message. */
  text: string;
  /** The volume or container it is about. */
  subject: string;
  /** True when an exact CVM form has this very feature by construction (supervisor, cvm-* volumes). */
  madeByMutation: boolean;
}

/** The container runtime's default set (Pod Security "baseline" allows adding exactly these): they
 * grant nothing a container does not already have, so ordinary pods may keep listing them. */
const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]); // prettier-ignore

/** What Istio's own containers add (istio-init; istio-proxy in TPROXY mode). A container name proves
 * nothing about its origin, so a mesh-named container gets these two and nothing more. */
const MESH_CAPABILITIES: ReadonlySet<string> = new Set(["NET_ADMIN", "NET_RAW"]);

/** Runtimes accept `cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` alike; compare the bare upper-case name. */
function capabilityName(raw: string): string {
  const upper = raw.trim().toUpperCase();
  return upper.startsWith("CAP_") ? upper.slice(4) : upper;
}

/** SELinux types Pod Security "baseline" allows; any other (spc_t, unconfined_t) escapes confinement. */
const CONFINED_SELINUX_TYPES: ReadonlySet<string> = new Set([
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);

/** Isolation switches outside privileged/capabilities that also reach the node (Pod Security baseline). */
function isolationEscapes(context: V1SecurityContext | V1PodSecurityContext | undefined): string[] {
  const escapes: string[] = [];
  if (context?.windowsOptions?.hostProcess === true) escapes.push("runs as a Windows HostProcess");
  const selinuxType = context?.seLinuxOptions?.type;
  if (selinuxType && !CONFINED_SELINUX_TYPES.has(selinuxType))
    escapes.push(`uses SELinux type ${selinuxType}`);
  if (context && "procMount" in context && context.procMount === "Unmasked") {
    escapes.push("mounts /proc unmasked");
  }
  return escapes;
}

function containerFeatures(container: V1Container, list: string): PrivilegedFeature[] {
  const where = `${list} ${container.name}`;
  const features: PrivilegedFeature[] = [];
  const add = (text: string, madeByMutation = false) =>
    features.push({ text: `${where} ${text}`, subject: container.name, madeByMutation });
  const context = container.securityContext;
  if (context?.privileged === true) add("is privileged", container.name === SUPERVISOR_NAME);
  const mesh = isMeshContainer(container);
  const added = (context?.capabilities?.add ?? []).filter((raw) => {
    const name = capabilityName(raw);
    return !DEFAULT_CAPABILITIES.has(name) && !(mesh && MESH_CAPABILITIES.has(name));
  });
  if (added.length > 0) add(`adds capabilities ${added.join(", ")}`);
  isolationEscapes(context).forEach((escape) => add(escape));
  if (container.name !== SUPERVISOR_NAME) {
    for (const mount of container.volumeMounts ?? []) {
      if (mount.name.startsWith(RESERVED_VOLUME_PREFIX)) add(`mounts the reserved volume ${mount.name}`);
    }
  }
  return features;
}

export function privilegedFeatures(pod: V1Pod): PrivilegedFeature[] {
  const spec = pod.spec ?? { containers: [] };
  const features: PrivilegedFeature[] = [];
  for (const escape of isolationEscapes(spec.securityContext)) {
    features.push({ text: `the pod ${escape}`, subject: "pod", madeByMutation: false });
  }
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (spec[field] === true)
      features.push({ text: `${field} is true`, subject: "pod", madeByMutation: false });
  }
  for (const volume of spec.volumes ?? []) {
    const reserved = volume.name.startsWith(RESERVED_VOLUME_PREFIX);
    if (volume.hostPath) {
      const text = `volume ${volume.name} is a hostPath (${volume.hostPath.path})`;
      features.push({ text, subject: volume.name, madeByMutation: reserved });
    } else if (reserved) {
      const text = `volume ${volume.name} uses the reserved cvm- prefix`;
      features.push({ text, subject: volume.name, madeByMutation: true });
    }
  }
  const lists = [
    ["init container", spec.initContainers ?? []],
    ["container", spec.containers ?? []],
    ["ephemeral container", spec.ephemeralContainers ?? []],
  ] as const;
  for (const [list, containers] of lists) {
    for (const container of containers) features.push(...containerFeatures(container as V1Container, list));
  }
  return features;
}
