// Pod Security Standards, level `baseline`, as Pod Security admission checks them
// (k8s.io/pod-security-admission/policy, check_*.go; docs/access.md lists the controls and
// their versions). Pure: pod metadata + spec and a Kubernetes minor version in, the
// violated controls out, each with Pod Security's own reason and detail so a denial reads as Pod
// Security's would. Which parts of a pod are judged (exemptions, updates) is the caller's business.

import type {
  V1Container,
  V1ObjectMeta,
  V1PodSpec,
  V1Probe,
  V1LifecycleHandler,
} from "@kubernetes/client-node";

/** The newest Kubernetes minor version whose baseline this module knows (1.35). */
export const NEWEST_BASELINE_MINOR = 35;

export interface Violation {
  /** Pod Security's forbidden reason, e.g. "host namespaces". */
  reason: string;
  /** Pod Security's forbidden detail, e.g. "hostNetwork=true, hostPID=true". */
  detail: string;
}

/** The version label Pod Security prints in its message: "baseline:v1.35". */
export function baselineLabel(minor: number): string {
  return `baseline:v1.${minor}`;
}

/** Pod Security's message body: `privileged (container "a" must not ...), host namespaces (hostPID=true)`. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(", ");
}

export interface PodParts {
  metadata?: Pick<V1ObjectMeta, "annotations">;
  spec?: V1PodSpec;
}

type Check = (
  metadata: Pick<V1ObjectMeta, "annotations">,
  spec: V1PodSpec,
  minor: number,
) => Violation | undefined;

function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? "" : `"${items.join('", "')}"`;
}

function plural(singular: string, pluralForm: string, count: number): string {
  return count === 1 ? singular : pluralForm;
}

/** Go's sets.NewString(...).List(): unique and sorted by byte order. */
function sortedSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Init, regular, then ephemeral containers, as Pod Security's visitContainers walks them. */
function containersOf(spec: V1PodSpec): V1Container[] {
  return [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...((spec.ephemeralContainers ?? []) as V1Container[]),
  ];
}

function containerSetters(names: readonly string[]): string {
  return `${plural("container", "containers", names.length)} ${joinQuote(names)}`;
}

/** "pod and containers "a", "b"": who set a forbidden value, pod first. */
function setters(pod: boolean, containers: readonly string[]): string[] {
  return [...(pod ? ["pod"] : []), ...(containers.length > 0 ? [containerSetters(containers)] : [])];
}

/** The pod and containers that set an AppArmor or seccomp profile type other than RuntimeDefault or Localhost. */
function badProfileTypes(spec: V1PodSpec, field: "appArmorProfile" | "seccompProfile") {
  const allowed = (type: string) => type === "RuntimeDefault" || type === "Localhost";
  const badValues: string[] = [];
  const podType = spec.securityContext?.[field]?.type;
  const podBad = podType !== undefined && !allowed(podType);
  if (podBad) badValues.push(podType);
  const badContainers: string[] = [];
  for (const c of containersOf(spec)) {
    const type = c.securityContext?.[field]?.type;
    if (type !== undefined && !allowed(type)) {
      badContainers.push(c.name);
      badValues.push(type);
    }
  }
  return { podBad, badContainers, badValues };
}

const appArmorProfile: Check = (metadata, spec) => {
  const { podBad, badContainers, badValues } = badProfileTypes(spec, "appArmorProfile");
  const annotations = Object.entries(metadata.annotations ?? {})
    .filter(([key, value]) => key.startsWith("container.apparmor.security.beta.kubernetes.io/") && !allowedAppArmorAnnotation(value))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .sort(); // prettier-ignore
  const values = [...sortedSet(badValues), ...annotations];
  const who = setters(podBad, badContainers);
  if (annotations.length > 0) who.push(plural("annotation", "annotations", annotations.length));
  if (who.length === 0) return undefined;
  return {
    reason: plural("forbidden AppArmor profile", "forbidden AppArmor profiles", values.length),
    detail: `${who.join(" and ")} must not set AppArmor profile type to ${joinQuote(values)}`,
  };
};

function allowedAppArmorAnnotation(value: string): boolean {
  return value === "" || value === "runtime/default" || value.startsWith("localhost/");
}

/** The container runtime's default set: baseline lets a container add these and nothing else. */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]); // prettier-ignore

/** Compared as written, like Pod Security does: `cap_sys_admin` is not a default capability either. */
const capabilities: Check = (_metadata, spec) => {
  const badContainers: string[] = [];
  const added: string[] = [];
  for (const c of containersOf(spec)) {
    const bad = (c.securityContext?.capabilities?.add ?? []).filter((cap) => !DEFAULT_CAPABILITIES.has(cap));
    if (bad.length === 0) continue;
    badContainers.push(c.name);
    added.push(...bad);
  }
  if (badContainers.length === 0) return undefined;
  return {
    reason: "non-default capabilities",
    detail: `${containerSetters(badContainers)} must not include ${joinQuote(sortedSet(added))} in securityContext.capabilities.add`,
  };
};

const hostNamespaces: Check = (_metadata, spec) => {
  const set = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((field) => spec[field] === true);
  return set.length === 0
    ? undefined
    : { reason: "host namespaces", detail: set.map((field) => `${field}=true`).join(", ") };
};

const hostPathVolumes: Check = (_metadata, spec) => {
  const names = (spec.volumes ?? [])
    .filter((v) => v.hostPath !== undefined && v.hostPath !== null)
    .map((v) => v.name);
  return names.length === 0
    ? undefined
    : {
        reason: "hostPath volumes",
        detail: `${plural("volume", "volumes", names.length)} ${joinQuote(names)}`,
      };
};

const hostPorts: Check = (_metadata, spec) => {
  const badContainers: string[] = [];
  const ports: number[] = [];
  for (const c of containersOf(spec)) {
    const used = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((port) => port !== 0);
    if (used.length === 0) continue;
    badContainers.push(c.name);
    ports.push(...used);
  }
  if (badContainers.length === 0) return undefined;
  const list = sortedSet(ports.map(String)); // sorted as strings, as Pod Security does
  return {
    reason: "hostPort",
    detail:
      `${containerSetters(badContainers)} ${plural("uses", "use", badContainers.length)} ` +
      `${plural("hostPort", "hostPorts", list.length)} ${list.join(", ")}`,
  };
};

function probeHosts(handler: V1Probe | V1LifecycleHandler | undefined): string[] {
  return [handler?.httpGet?.host, handler?.tcpSocket?.host].filter((h): h is string => !!h);
}

/** From 1.34: probes and lifecycle handlers may not point at another host. */
const probeOrLifecycleHost: Check = (_metadata, spec, minor) => {
  if (minor < 34) return undefined;
  const badContainers: string[] = [];
  const hosts: string[] = [];
  for (const c of containersOf(spec)) {
    const found = [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].flatMap(probeHosts); // prettier-ignore
    if (found.length === 0) continue;
    badContainers.push(c.name);
    hosts.push(...found);
  }
  if (badContainers.length === 0) return undefined;
  const containers = sortedSet(badContainers);
  const list = sortedSet(hosts);
  return {
    reason: "probe or lifecycle host",
    detail:
      `${containerSetters(containers)} ${plural("uses", "use", containers.length)} ` +
      `${plural("probe or lifecycle host", "probe or lifecycle hosts", list.length)} ${joinQuote(list)}`,
  };
};

const privileged: Check = (_metadata, spec) => {
  const names = containersOf(spec)
    .filter((c) => c.securityContext?.privileged === true)
    .map((c) => c.name);
  return names.length === 0
    ? undefined
    : {
        reason: "privileged",
        detail: `${containerSetters(names)} must not set securityContext.privileged=true`,
      };
};

/** From 1.35 any /proc mount type is allowed in a user namespace (hostUsers: false). */
const procMount: Check = (_metadata, spec, minor) => {
  if (minor >= 35 && spec.hostUsers === false) return undefined;
  const badContainers: string[] = [];
  const types: string[] = [];
  for (const c of containersOf(spec)) {
    const type = c.securityContext?.procMount;
    if (type === undefined || type === "Default") continue;
    badContainers.push(c.name);
    types.push(type);
  }
  if (badContainers.length === 0) return undefined;
  return {
    reason: "procMount",
    detail: `${containerSetters(badContainers)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`,
  };
};

/** container_engine_t joined the allowed SELinux types in 1.31. */
function allowedSelinuxTypes(minor: number): ReadonlySet<string> {
  const types = ["", "container_t", "container_init_t", "container_kvm_t"];
  return new Set(minor >= 31 ? [...types, "container_engine_t"] : types);
}

const seLinuxOptions: Check = (_metadata, spec, minor) => {
  const allowed = allowedSelinuxTypes(minor);
  const badTypes: string[] = [];
  let setUser = false;
  let setRole = false;
  const valid = (opts: { type?: string; user?: string; role?: string }): boolean => {
    let ok = true;
    if (!allowed.has(opts.type ?? "")) {
      ok = false;
      badTypes.push(opts.type ?? "");
    }
    if (opts.user) {
      ok = false;
      setUser = true;
    }
    if (opts.role) {
      ok = false;
      setRole = true;
    }
    return ok;
  };
  const podOptions = spec.securityContext?.seLinuxOptions;
  const podBad = podOptions !== undefined && !valid(podOptions);
  const badContainers = containersOf(spec)
    .filter(
      (c) => c.securityContext?.seLinuxOptions !== undefined && !valid(c.securityContext.seLinuxOptions),
    )
    .map((c) => c.name);
  const who = setters(podBad, badContainers);
  if (who.length === 0) return undefined;
  const types = sortedSet(badTypes);
  const data = [
    ...(types.length > 0 ? [`${plural("type", "types", types.length)} ${joinQuote(types)}`] : []),
    ...(setUser ? ["user may not be set"] : []),
    ...(setRole ? ["role may not be set"] : []),
  ];
  return {
    reason: "seLinuxOptions",
    detail: `${who.join(" and ")} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}`,
  };
};

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/";

/** Before 1.19 the annotations; from 1.19 the seccompProfile fields (the annotations are ignored). */
const seccompProfile: Check = (metadata, spec, minor) => {
  if (minor < 19) {
    const annotations = metadata.annotations ?? {};
    const validValue = (v: string) => v === "runtime/default" || v === "docker/default" || v.startsWith("localhost/");
    const keys = [SECCOMP_POD_ANNOTATION, ...containersOf(spec).map((c) => SECCOMP_CONTAINER_ANNOTATION + c.name)];
    const forbidden = keys
      .filter((key) => annotations[key] !== undefined && !validValue(annotations[key]))
      .map((key) => `${key}=${JSON.stringify(annotations[key])}`);
    const list = sortedSet(forbidden);
    return list.length === 0
      ? undefined
      : { reason: "seccompProfile", detail: `forbidden ${plural("annotation", "annotations", list.length)} ${list.join(", ")}` };
  } // prettier-ignore
  const { podBad, badContainers, badValues } = badProfileTypes(spec, "seccompProfile");
  const who = setters(podBad, badContainers);
  if (who.length === 0) return undefined;
  return {
    reason: "seccompProfile",
    detail: `${who.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}`,
  };
};

/** The safe sysctls by the version that allowed them. */
const SAFE_SYSCTLS: readonly (readonly [number, readonly string[]])[] = [
  [0, ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]],
  [27, ["net.ipv4.ip_local_reserved_ports"]],
  [29, ["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]],
  [32, ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]],
]; // prettier-ignore

const sysctls: Check = (_metadata, spec, minor) => {
  const safe = new Set(SAFE_SYSCTLS.filter(([since]) => minor >= since).flatMap(([, names]) => names));
  const forbidden = (spec.securityContext?.sysctls ?? [])
    .map((s) => s.name)
    .filter((name) => !safe.has(name));
  return forbidden.length === 0 ? undefined : { reason: "forbidden sysctls", detail: forbidden.join(", ") };
};

const windowsHostProcess: Check = (_metadata, spec) => {
  const pod = spec.securityContext?.windowsOptions?.hostProcess === true;
  const containers = containersOf(spec)
    .filter((c) => c.securityContext?.windowsOptions?.hostProcess === true)
    .map((c) => c.name);
  const who = setters(pod, containers);
  return who.length === 0
    ? undefined
    : {
        reason: "hostProcess",
        detail: `${who.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
      };
};

/** In the order Pod Security reports them: its check IDs sorted byte-wise. */
const CHECKS: readonly Check[] = [
  appArmorProfile, // appArmorProfile
  capabilities, // capabilities_baseline
  hostNamespaces, // hostNamespaces
  hostPathVolumes, // hostPathVolumes
  hostPorts, // hostPorts
  probeOrLifecycleHost, // hostProbesAndHostLifecycle
  privileged, // privileged
  procMount, // procMount
  seLinuxOptions, // seLinuxOptions
  seccompProfile, // seccompProfile_baseline
  sysctls, // sysctls
  windowsHostProcess, // windowsHostProcess
];

/** Every baseline control of Kubernetes 1.`minor` the pod violates, in Pod Security's order. */
export function baselineViolations(pod: PodParts, minor: number = NEWEST_BASELINE_MINOR): Violation[] {
  const metadata = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  return CHECKS.map((check) => check(metadata, spec, minor)).filter((v): v is Violation => v !== undefined);
}
