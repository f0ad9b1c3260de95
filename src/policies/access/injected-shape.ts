// The shape of a container Istio's injector produces, as far as admission can verify it
// (docs/access.md): a mesh name, an image from one of Istio's hubs (istio.proxyImageRepositories), no capability
// beyond what the injector adds to that container, no host ports, no unconfined seccomp or AppArmor
// profile, and no writable volume shared with the CVM supervisor. Only such a container gets the
// mesh's capabilities in an opted-in namespace; a container that merely carries a mesh name is an
// ordinary container. Istio's injection template (manifests/.../injection-template.yaml) adds
// NET_ADMIN and NET_RAW to istio-init, NET_ADMIN to istio-proxy in TPROXY interception mode, and
// nothing to istio-validation (the CNI variant).

import type { V1Container, V1Pod, V1Volume } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { DEFAULT_CAPABILITIES } from "../../kube/pod-security-baseline.js";
import { SUPERVISOR_NAME } from "../cvm/names.js";
import { isMeshContainer } from "../cvm-pod.js";

const ISTIO_CAPABILITIES: Readonly<Record<string, readonly string[]>> = {
  "istio-init": ["NET_ADMIN", "NET_RAW"],
  "istio-proxy": ["NET_ADMIN"],
  "istio-validation": [],
};

/**
 * The image's repository without its last path segment (Istio's `hub`), normalised as the
 * container runtime reads references: `istio/proxyv2:1.27` is `docker.io/istio`.
 */
export function imageHub(image: string): string {
  const name = image.split("@")[0]!.replace(/:[^/:]*$/, "");
  const parts = name.split("/");
  const first = parts[0]!;
  const hasRegistry =
    parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const full = hasRegistry ? parts : ["docker.io", ...(parts.length === 1 ? ["library"] : []), ...parts];
  if (full[0] === "index.docker.io") full[0] = "docker.io";
  return full.slice(0, -1).join("/").toLowerCase();
}

/** Volumes the kubelet mounts read-only whatever the pod says: sharing them changes nothing. */
function isReadOnlyKind(volume: V1Volume | undefined): boolean {
  return volume !== undefined && (volume.projected !== undefined || volume.configMap !== undefined || volume.secret !== undefined || volume.downwardAPI !== undefined); // prettier-ignore
}

function unconfinedProfiles(container: V1Container): string[] {
  const context = container.securityContext;
  return [
    ...(context?.seccompProfile?.type === "Unconfined" ? ["seccomp"] : []),
    ...(context?.appArmorProfile?.type === "Unconfined" ? ["AppArmor"] : []),
  ];
}

export type MeshShape =
  { tolerated: true; capabilities: ReadonlySet<string> } | { tolerated: false; why: string };

/** Whether a mesh-named container has the injector's shape; undefined for any other name. */
export function meshShape(container: V1Container, pod: V1Pod, config: Config): MeshShape | undefined {
  if (!isMeshContainer(container)) return undefined;
  const not = (why: string): MeshShape => ({ tolerated: false, why: `${container.name} ${why}` });
  const hub = imageHub(container.image ?? "");
  if (!config.istio.proxyImageRepositories.some((repository) => imageHub(`${repository}/x`) === hub))
    return not(`has image ${container.image ?? "(none)"}, not from istio.proxyImageRepositories (${config.istio.proxyImageRepositories.join(", ")})`); // prettier-ignore
  const istio = new Set(ISTIO_CAPABILITIES[container.name]);
  const extra = (container.securityContext?.capabilities?.add ?? []).filter(
    (cap) => !istio.has(cap) && !DEFAULT_CAPABILITIES.has(cap),
  );
  if (extra.length > 0) return not(`adds ${extra.join(", ")}, which Istio's injector never adds to it`);
  if ((container.ports ?? []).some((p) => (p.hostPort ?? 0) !== 0)) return not("uses a host port");
  const unconfined = unconfinedProfiles(container);
  if (unconfined.length > 0) return not(`runs with an unconfined ${unconfined.join(" and ")} profile`);
  const supervisor = pod.spec?.containers?.find((c) => c.name === SUPERVISOR_NAME);
  const supervisorVolumes = new Set((supervisor?.volumeMounts ?? []).map((m) => m.name));
  const shared = (container.volumeMounts ?? [])
    .map((m) => m.name)
    .filter(
      (name) =>
        supervisorVolumes.has(name) && !isReadOnlyKind(pod.spec?.volumes?.find((v) => v.name === name)),
    );
  if (shared.length > 0) return not(`shares volume ${shared.join(", ")} with ${SUPERVISOR_NAME}`);
  return { tolerated: true, capabilities: istio };
}
