// What the kubelet gives a container, written from its behaviour (pkg/kubelet/kubelet_pods.go,
// makeEnvironmentVariables, makeMounts, GeneratePodHostNameAndDomain) for the envbox reader in
// test/support/envbox-reader.ts. A small simulated cluster stands in for the API objects: every
// Secret/ConfigMap key resolves to a value naming it, every envFrom source holds the same two keys,
// and the namespace has one Service besides `kubernetes`.

import type { V1Container, V1EnvVar, V1Pod, V1Volume } from "@kubernetes/client-node";

/** The keys every simulated envFrom source holds. */
export const SOURCE_KEYS: readonly string[] = ["HOST", "mode_2"];
/** The namespace's one Service (its link variables exist only with enableServiceLinks). */
const SERVICE_LINKS: Readonly<Record<string, string>> = {
  WEB_SERVICE_HOST: "10.96.0.20",
  WEB_SERVICE_PORT: "80",
  WEB_PORT: "tcp://10.96.0.20:80",
  WEB_PORT_80_TCP: "tcp://10.96.0.20:80",
};
export function isServiceLink(name: string): boolean {
  return name in SERVICE_LINKS;
}
/** The master Service's variables: every pod gets them, whatever enableServiceLinks says. */
const MASTER_SERVICE: Readonly<Record<string, string>> = {
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  KUBERNETES_PORT: "tcp://10.96.0.1:443",
};

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
