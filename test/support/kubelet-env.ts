// The environment the kubelet builds for a container, written from Kubernetes' pkg/kubelet
// (envvars.FromServices and kubelet_pods.go makeEnvironmentVariables): the service-link variables
// of the Services in the pod's namespace when enableServiceLinks is not false, those of the
// `kubernetes` Service of the default namespace always, then the container's own env (literal
// values and downward-API fieldRefs), which wins over a service link of the same name.
// Two views of it: kubeletContainerEnv for the chart's own container (test/chart/kubelet-start.test.ts),
// kubeletEnv and its neighbours for a CVM's supervisor, read back by test/support/envbox-reader.ts.

import type { V1Container, V1EnvVar, V1Pod, V1Volume } from "@kubernetes/client-node";

export interface ServicePortSpec {
  name?: string;
  port: number;
  protocol?: "TCP" | "UDP" | "SCTP";
}

export interface ServiceSpec {
  name: string;
  clusterIP: string;
  ports: ServicePortSpec[];
}

/** NAME-with-dashes -> NAME_WITH_DASHES, as the kubelet names service-link variables. */
function envName(name: string): string {
  return name.toUpperCase().replaceAll("-", "_");
}

/** Every variable the kubelet writes for one Service with a cluster IP. */
export function serviceLinkEnv(service: ServiceSpec): Record<string, string> {
  const prefix = envName(service.name);
  const host = service.clusterIP.includes(":") ? `[${service.clusterIP}]` : service.clusterIP;
  const env: Record<string, string> = {
    [`${prefix}_SERVICE_HOST`]: service.clusterIP,
    [`${prefix}_SERVICE_PORT`]: String(service.ports[0]!.port),
  };
  for (const port of service.ports) {
    if (port.name) env[`${prefix}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
  }
  service.ports.forEach((port, index) => {
    const protocol = port.protocol ?? "TCP";
    const url = `${protocol.toLowerCase()}://${host}:${port.port}`;
    if (index === 0) env[`${prefix}_PORT`] = url;
    const portPrefix = `${prefix}_PORT_${port.port}_${protocol}`;
    env[portPrefix] = url;
    env[`${portPrefix}_PROTO`] = protocol.toLowerCase();
    env[`${portPrefix}_PORT`] = String(port.port);
    env[`${portPrefix}_ADDR`] = service.clusterIP;
  });
  return env;
}

/** The apiserver's own Service, whose variables every container gets (enableServiceLinks or not). */
export const KUBERNETES_SERVICE: ServiceSpec = {
  name: "kubernetes",
  clusterIP: "10.96.0.1",
  ports: [{ name: "https", port: 443, protocol: "TCP" }],
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
  nodeName: string;
  podIP: string;
  serviceAccountName: string;
}

function fieldRef(path: string, pod: PodIdentity): string {
  const fields: Record<string, string> = {
    "metadata.name": pod.name,
    "metadata.namespace": pod.namespace,
    "metadata.uid": pod.uid,
    "spec.nodeName": pod.nodeName,
    "spec.serviceAccountName": pod.serviceAccountName,
    "status.podIP": pod.podIP,
  };
  const value = fields[path];
  if (value === undefined) throw new Error(`kubelet-env: fieldRef ${path} is not modelled here`);
  return value;
}

export interface ContainerEnvInput {
  container: { env?: EnvVar[]; envFrom?: unknown[] };
  pod: PodIdentity;
  /** Services of the pod's namespace (each with the cluster IP the apiserver gave it). */
  namespaceServices: ServiceSpec[];
  /** The pod's spec.enableServiceLinks; unset means true. */
  enableServiceLinks: boolean | undefined;
}

export function kubeletContainerEnv({
  container,
  pod,
  namespaceServices,
  enableServiceLinks,
}: ContainerEnvInput): Record<string, string> {
  if (container.envFrom !== undefined) throw new Error("kubelet-env: envFrom is not modelled here");
  const links = enableServiceLinks === false ? [] : namespaceServices;
  const env: Record<string, string> = {};
  for (const service of [...links, KUBERNETES_SERVICE]) Object.assign(env, serviceLinkEnv(service));
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.fieldRef)
      env[variable.name] = fieldRef(variable.valueFrom.fieldRef.fieldPath, pod);
    else if (variable.valueFrom)
      throw new Error(`kubelet-env: ${variable.name}: only fieldRef is modelled here`);
    else env[variable.name] = "";
  }
  return env;
}

// The simulated cluster of the envbox reader: every Secret/ConfigMap key resolves to a value naming
// it, every envFrom source holds the same two keys, and the namespace has one Service besides
// `kubernetes`.

/** The keys every simulated envFrom source holds. */
export const SOURCE_KEYS: readonly string[] = ["HOST", "mode_2"];
/** The namespace's one Service (its link variables exist only with enableServiceLinks). */
const SERVICE_LINKS = serviceLinkEnv({ name: "web", clusterIP: "10.96.0.20", ports: [{ port: 80 }] });
export function isServiceLink(name: string): boolean {
  return name in SERVICE_LINKS;
}
/** The master Service's variables: every pod gets them, whatever enableServiceLinks says. */
const MASTER_SERVICE = serviceLinkEnv(KUBERNETES_SERVICE);

/** The pod's name once created: generateName gets five characters, as the apiserver adds them. */
export function createdName(pod: V1Pod): string {
  return pod.metadata?.name || `${(pod.metadata?.generateName ?? "pod-").slice(0, 58)}x7k2q`;
}

/** The kubelet's $(VAR) expansion: `$$` -> `$`, `$(NAME)` -> its value when mapped, else literal. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== "$" || i === input.length - 1) {
      out += c;
      continue;
    }
    const next = input[i + 1]!;
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close < 0) return out + input.slice(i);
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      out += c + next;
      i++;
    }
  }
  return out;
}

function valueFrom(entry: V1EnvVar, pod: V1Pod): string | undefined {
  const from = entry.valueFrom;
  if (!from) return entry.value ?? "";
  if (from.secretKeyRef) return `secret:${from.secretKeyRef.name}/${from.secretKeyRef.key}`;
  if (from.configMapKeyRef) return `configmap:${from.configMapKeyRef.name}/${from.configMapKeyRef.key}`;
  if (from.fieldRef?.fieldPath === "metadata.name") return createdName(pod);
  if (from.fieldRef) return `field:${from.fieldRef.fieldPath}`;
  if (from.resourceFieldRef) return `resource:${from.resourceFieldRef.resource}`;
  return `other:${entry.name}`;
}

/** The container's environment as the kubelet builds it, in insertion order. */
export function kubeletEnv(container: V1Container, pod: V1Pod): Map<string, string> {
  const service: Record<string, string> = { ...MASTER_SERVICE };
  if (pod.spec?.enableServiceLinks !== false) Object.assign(service, SERVICE_LINKS);
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? "configmap" : "secret";
    for (const key of SOURCE_KEYS) env.set(`${source.prefix ?? ""}${key}`, `${kind}:${ref?.name}/${key}`);
  }
  const lookup = (name: string) => env.get(name) ?? service[name];
  for (const entry of container.env ?? []) {
    const value = entry.valueFrom ? valueFrom(entry, pod) : expand(entry.value ?? "", lookup);
    env.delete(entry.name); // a redefinition takes the later place
    env.set(entry.name, value ?? "");
  }
  for (const [name, value] of Object.entries(service)) if (!env.has(name)) env.set(name, value);
  return env;
}

/** command + args after expansion with the container's whole environment. */
export function kubeletArgv(container: V1Container, env: ReadonlyMap<string, string>): string[] {
  const lookup = (name: string) => env.get(name);
  return [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, lookup));
}

/** The kubelet mounts these read-only whatever the volumeMount says (makeMounts: mustMountRO). */
export function mountedReadOnly(volume: V1Volume | undefined): boolean {
  if (!volume) return false;
  if (volume.configMap || volume.secret || volume.projected || volume.downwardAPI || volume.image)
    return true;
  return Object.values(volume).some(
    (source) =>
      typeof source === "object" && source !== null && (source as { readOnly?: unknown }).readOnly === true,
  );
}

/** The pod's hostname: spec.hostname, else the name cut to 63 characters without a trailing '-' or '.'. */
export function kubeletHostname(pod: V1Pod): string {
  if (pod.spec?.hostname) return pod.spec.hostname;
  return createdName(pod)
    .slice(0, 63)
    .replace(/[-.]+$/, "");
}
