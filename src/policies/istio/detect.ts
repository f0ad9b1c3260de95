// Istio detection (docs/istio.md): what Istio has done or will do to a pod,
// decided from the pod and its namespace's labels only. Pure; the policies act on the finding.
//
// Precedence, first match decides:
//   1. hostNetwork: Istio never injects it (inject.go injectRequired), and ambient skips it too.
//   2. A proxy is present: a mesh container (classic or native sidecar) or the
//      sidecar.istio.io/status annotation. Hints (istio.io/rev annotation, default-container,
//      security.istio.io/tlsMode) never decide alone.
//   3. Istio's webhooks would select the pod and its injector would inject it.
//   4. Ambient mode (istio.io/dataplane-mode), unless the pod opts out with `none`.
//   5. Otherwise not injected, naming why.

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { ISTIO_PROXY, isMeshContainer } from "../cvm-pod.js";
import { proxyVersionFromImage } from "./proxy-version.js";

export type IstioState = "injected" | "will-be-injected" | "not-injected" | "ambient";

export interface IstioFinding {
  state: IstioState;
  /** The signal that decided the state, in words a user can look up on the pod or namespace. */
  signal: string;
  /** Istio revision (or tag) that injected or will inject the pod, when known. */
  revision?: string;
  /** Proxy version ("1.20.3", "unknown") whenever a sidecar is or will be there. */
  proxyVersion?: string;
}

export const INJECT_KEY = "sidecar.istio.io/inject";
const REV_KEY = "istio.io/rev";
const STATUS_ANNOTATION = "sidecar.istio.io/status";
const PROXY_IMAGE_ANNOTATION = "sidecar.istio.io/proxyImage";
const NAMESPACE_INJECTION_LABEL = "istio-injection";
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
/** The revision Istio's non-revisioned webhooks (`namespace.`, `object.`) belong to. */
const DEFAULT_REVISION = "default";

type Labels = Readonly<Record<string, string>>;

interface MeshContainer {
  container: V1Container;
  where: string;
}

/** Mesh containers in the order that names the strongest signal first: the proxy, then its init. */
function meshContainers(pod: V1Pod): MeshContainer[] {
  const found: MeshContainer[] = [];
  for (const container of pod.spec?.initContainers ?? []) {
    if (!isMeshContainer(container)) continue;
    const native = container.name === ISTIO_PROXY && container.restartPolicy === "Always";
    found.push({ container, where: native ? "native sidecar init container" : "init container" });
  }
  for (const container of pod.spec?.containers ?? []) {
    if (isMeshContainer(container)) found.push({ container, where: "container" });
  }
  return found.sort(
    (a, b) => Number(b.container.name === ISTIO_PROXY) - Number(a.container.name === ISTIO_PROXY),
  );
}

function statusRevision(status: string | undefined): string | undefined {
  if (status === undefined) return undefined;
  try {
    const revision = (JSON.parse(status) as { revision?: unknown } | null)?.revision;
    return typeof revision === "string" && revision !== "" ? revision : undefined;
  } catch {
    return undefined; // a garbled status still says "injected"; it just names no revision
  }
}

function withRevision(finding: IstioFinding, revision: string | undefined): IstioFinding {
  return revision === undefined ? finding : { ...finding, revision };
}

function presentProxy(pod: V1Pod, nsLabels: Labels): IstioFinding | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const containers = meshContainers(pod);
  const status = annotations[STATUS_ANNOTATION];
  if (containers.length === 0 && status === undefined) return undefined;
  const first = containers[0];
  const signal = first ? `${first.where} ${first.container.name}` : `annotation ${STATUS_ANNOTATION}`;
  const image = first?.container.image ?? annotations[PROXY_IMAGE_ANNOTATION];
  // The istio.io/rev annotation is only a hint, trusted for the revision once a proxy is certain.
  const selection = selectingWebhook(pod.metadata?.labels ?? {}, nsLabels);
  const revision =
    statusRevision(status) ??
    annotations[REV_KEY] ??
    (typeof selection === "string" ? pod.metadata?.labels?.[REV_KEY] : selection.revision);
  return withRevision({ state: "injected", signal, proxyVersion: proxyVersionFromImage(image) }, revision);
}

interface Selection {
  signal: string;
  revision: string;
}

/** Which of Istio's webhooks (`namespace.`, `rev.namespace.`, `rev.object.`, `object.`) would be called. */
function selectingWebhook(podLabels: Labels, nsLabels: Labels): Selection | string {
  const nsInjection = nsLabels[NAMESPACE_INJECTION_LABEL];
  const nsRevision = nsLabels[REV_KEY];
  if (nsInjection === "enabled")
    return { signal: "namespace label istio-injection=enabled", revision: DEFAULT_REVISION };
  // Every other webhook requires istio-injection to be absent, so `disabled` beats istio.io/rev.
  if (nsInjection !== undefined) return `namespace label istio-injection=${nsInjection}`;
  if (nsRevision !== undefined)
    return { signal: `namespace label istio.io/rev=${nsRevision}`, revision: nsRevision };
  const podRevision = podLabels[REV_KEY];
  if (podRevision !== undefined)
    return { signal: `pod label istio.io/rev=${podRevision}`, revision: podRevision };
  if (podLabels[INJECT_KEY] === "true")
    return { signal: `pod label ${INJECT_KEY}=true`, revision: DEFAULT_REVISION };
  return "no injection label on the namespace or the pod";
}

/** The injector's own verdict (inject.go injectRequired): the pod label wins over the annotation. */
function podInjectChoice(pod: V1Pod): { source: string; value: string } | undefined {
  const label = pod.metadata?.labels?.[INJECT_KEY];
  if (label !== undefined) return { source: "pod label", value: label };
  const annotation = pod.metadata?.annotations?.[INJECT_KEY];
  return annotation === undefined ? undefined : { source: "pod annotation", value: annotation };
}

const YAML_TRUE = new Set(["y", "yes", "true", "on"]);

/** will-be-injected, or the reason it will not be (a string naming the deciding signal). */
function sidecarIntent(pod: V1Pod, nsLabels: Labels): IstioFinding | string {
  const selection = selectingWebhook(pod.metadata?.labels ?? {}, nsLabels);
  if (typeof selection === "string") return selection;
  const choice = podInjectChoice(pod);
  // Selectors exclude the label value "false"; the injector then refuses any explicit non-yes value.
  if (choice && choice.value !== "" && !YAML_TRUE.has(choice.value.toLowerCase())) {
    return `${choice.source} ${INJECT_KEY}=${choice.value} (overrides ${selection.signal})`;
  }
  const proxyVersion = proxyVersionFromImage(pod.metadata?.annotations?.[PROXY_IMAGE_ANNOTATION]);
  return { state: "will-be-injected", signal: selection.signal, revision: selection.revision, proxyVersion };
}

function ambientSignal(podLabels: Labels, nsLabels: Labels): string | undefined {
  const podMode = podLabels[DATAPLANE_MODE_LABEL];
  if (podMode === "ambient") return `pod label ${DATAPLANE_MODE_LABEL}=ambient`;
  if (podMode !== undefined) return undefined;
  return nsLabels[DATAPLANE_MODE_LABEL] === "ambient"
    ? `namespace label ${DATAPLANE_MODE_LABEL}=ambient`
    : undefined;
}

export function detectIstio(pod: V1Pod, nsLabels: Labels = {}): IstioFinding {
  if (pod.spec?.hostNetwork === true) {
    return {
      state: "not-injected",
      signal: "spec.hostNetwork: true (Istio never injects host-network pods)",
    };
  }
  const present = presentProxy(pod, nsLabels);
  if (present) return present;
  const intent = sidecarIntent(pod, nsLabels);
  if (typeof intent !== "string") return intent;
  const podLabels = pod.metadata?.labels ?? {};
  const ambient = ambientSignal(podLabels, nsLabels);
  if (ambient) return { state: "ambient", signal: ambient };
  const podMode = podLabels[DATAPLANE_MODE_LABEL];
  const optedOutOfAmbient = podMode !== undefined && nsLabels[DATAPLANE_MODE_LABEL] === "ambient";
  return {
    state: "not-injected",
    signal: optedOutOfAmbient ? `${intent}; pod label ${DATAPLANE_MODE_LABEL}=${podMode}` : intent,
  };
}
