import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { detectIstio, type IstioFinding } from "../../../src/policies/istio/detect.js";
import { fixtureObjects, fixturePod, INJECT_CASES, withProxyImage } from "./support.js";

const NONE = "no injection label on the namespace or the pod";
const HOST_NETWORK = "spec.hostNetwork: true (Istio never injects host-network pods)";
const NS_ENABLED = { "istio-injection": "enabled" };
const NATIVE = "native sidecar init container istio-proxy";
const CLASSIC = "container istio-proxy";

const app: V1Container = { name: "app", image: "ubuntu:24.04" };

function pod(
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  spec: Partial<NonNullable<V1Pod["spec"]>> = {},
): V1Pod {
  return { metadata: { name: "p", labels, annotations }, spec: { containers: [app], ...spec } };
}

describe("detectIstio on Istio's injector fixtures", () => {
  // Read off each injected fixture by hand: where istio-proxy sits, and its image tag (all are
  // `latest` or a non-release tag, so the version is unknown; the revision is in the status JSON).
  const injected: Record<string, IstioFinding> = {
    "bare-pod": { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    cni: { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    "custom-proxy-image": { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    daemonset: { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    default: { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    "host-network-skipped": { state: "not-injected", signal: HOST_NETWORK },
    "inject-false-annotation": {
      state: "not-injected",
      signal:
        "pod annotation sidecar.istio.io/inject=false (overrides namespace label istio-injection=enabled)",
    },
    "multi-init": { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    namespaced: { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    "native-opt-out": { state: "injected", signal: CLASSIC, revision: "default", proxyVersion: "unknown" },
    "non-native-sidecar": {
      state: "injected",
      signal: CLASSIC,
      revision: "default",
      proxyVersion: "unknown",
    },
    "probes-startup-ready-live": {
      state: "injected",
      signal: NATIVE,
      revision: "default",
      proxyVersion: "unknown",
    },
    "proxy-image-annotation": {
      state: "injected",
      signal: NATIVE,
      revision: "default",
      proxyVersion: "unknown",
    },
    "resource-annotations": {
      state: "injected",
      signal: NATIVE,
      revision: "default",
      proxyVersion: "unknown",
    },
    statefulset: { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    "traffic-annotations": {
      state: "injected",
      signal: NATIVE,
      revision: "default",
      proxyVersion: "unknown",
    },
    "two-container": { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
    "user-native-sidecar": {
      state: "injected",
      signal: NATIVE,
      revision: "default",
      proxyVersion: "unknown",
    },
    "user-volume": { state: "injected", signal: NATIVE, revision: "default", proxyVersion: "unknown" },
  };

  it("covers every case of the fixture index", () => {
    expect(INJECT_CASES.map((c) => c.case).sort()).toEqual(Object.keys(injected).sort());
  });

  it.each(INJECT_CASES)("$case: injected output", ({ case: name, injected: path }) => {
    // The namespace that made Istio inject it; detection must not need it for an injected pod.
    expect(detectIstio(fixturePod(`inject/${path}`), NS_ENABLED)).toEqual(injected[name]);
  });

  it.each(INJECT_CASES)(
    "$case: input in an unlabelled and in an injecting namespace",
    ({ case: name, input }) => {
      const before = fixturePod(`inject/${input}`);
      if (name === "host-network-skipped") {
        expect(detectIstio(before, {})).toEqual({ state: "not-injected", signal: HOST_NETWORK });
        expect(detectIstio(before, NS_ENABLED)).toEqual({ state: "not-injected", signal: HOST_NETWORK });
        return;
      }
      expect(detectIstio(before, {})).toEqual({ state: "not-injected", signal: NONE });
      const expected: IstioFinding =
        name === "inject-false-annotation"
          ? {
              state: "not-injected",
              signal:
                "pod annotation sidecar.istio.io/inject=false (overrides namespace label istio-injection=enabled)",
            }
          : {
              state: "will-be-injected",
              signal: "namespace label istio-injection=enabled",
              revision: "default",
              proxyVersion: "unknown",
            };
      expect(detectIstio(before, NS_ENABLED)).toEqual(expected);
    },
  );

  it("reads the release from a real proxy image, in classic and native form", () => {
    for (const name of ["default", "non-native-sidecar", "cni"]) {
      const injectedPod = fixturePod(`inject/${name}/injected.yaml`);
      const finding = detectIstio(withProxyImage(injectedPod, "docker.io/istio/proxyv2:1.20.3-distroless"));
      expect(finding.proxyVersion).toBe("1.20.3");
    }
  });
});

describe("detectIstio on Istio's analyzer fixture (namespaces and pods)", () => {
  const objects = fixtureObjects("detection/namespaces-and-pods-injection.yaml");
  const nsLabels = new Map(
    objects
      .filter((o) => o.kind === "Namespace")
      .map((o) => [o.metadata!.name!, (o as V1Pod).metadata?.labels ?? {}]),
  );
  const pods = new Map(objects.filter((o) => o.kind === "Pod").map((o) => [o.metadata!.name!, o as V1Pod]));
  const optOut = (source: string) =>
    `${source} sidecar.istio.io/inject=false (overrides namespace label istio-injection=enabled)`;

  it.each<[string, IstioFinding]>([
    ["injectedpod", { state: "injected", signal: CLASSIC, revision: "default", proxyVersion: "1.3.0" }],
    [
      "noninjectedpod",
      {
        state: "will-be-injected",
        signal: "namespace label istio-injection=enabled",
        revision: "default",
        proxyVersion: "unknown",
      },
    ],
    ["podinjectiondisabled", { state: "not-injected", signal: optOut("pod annotation") }],
    ["podinjectiondisabled-label", { state: "not-injected", signal: optOut("pod label") }],
    ["podinjectiondisabled-label-and-anno", { state: "not-injected", signal: optOut("pod label") }],
    ["noninjectedpodhostnetwork", { state: "not-injected", signal: HOST_NETWORK }],
    [
      "istiod-canary-1234567890-12345",
      {
        state: "will-be-injected",
        signal: "pod label istio.io/rev=canary",
        revision: "canary",
        proxyVersion: "unknown",
      },
    ],
  ])("%s", (name, expected) => {
    const p = pods.get(name)!;
    expect(detectIstio(p, nsLabels.get(p.metadata!.namespace!) ?? {})).toEqual(expected);
  });
});

describe("detectIstio: every signal of docs/istio.md", () => {
  const will = (signal: string, revision: string, proxyVersion = "unknown"): IstioFinding => ({
    state: "will-be-injected",
    signal,
    revision,
    proxyVersion,
  });
  const not = (signal: string): IstioFinding => ({ state: "not-injected", signal });
  const proxy = (extra: Partial<V1Container> = {}): V1Container => ({
    name: "istio-proxy",
    image: "docker.io/istio/proxyv2:1.22.1",
    ...extra,
  });

  it.each<[string, V1Pod, Record<string, string>, IstioFinding]>([
    [
      "ns istio-injection=enabled",
      pod(),
      NS_ENABLED,
      will("namespace label istio-injection=enabled", "default"),
    ],
    [
      "ns istio-injection=disabled beats istio.io/rev",
      pod({ "istio.io/rev": "canary" }),
      { "istio-injection": "disabled", "istio.io/rev": "canary" },
      not("namespace label istio-injection=disabled"),
    ],
    [
      "ns istio.io/rev",
      pod(),
      { "istio.io/rev": "canary" },
      will("namespace label istio.io/rev=canary", "canary"),
    ],
    [
      "ns istio-injection=enabled beats istio.io/rev on ns and pod",
      pod({ "istio.io/rev": "1-16" }),
      { "istio-injection": "enabled", "istio.io/rev": "canary" },
      will("namespace label istio-injection=enabled", "default"),
    ],
    [
      "pod label istio.io/rev",
      pod({ "istio.io/rev": "1-16" }),
      {},
      will("pod label istio.io/rev=1-16", "1-16"),
    ],
    [
      "pod label sidecar.istio.io/inject=true",
      pod({ "sidecar.istio.io/inject": "true" }),
      {},
      will("pod label sidecar.istio.io/inject=true", "default"),
    ],
    [
      "pod annotation inject=true alone selects no webhook",
      pod({}, { "sidecar.istio.io/inject": "true" }),
      {},
      not(NONE),
    ],
    [
      "pod label inject=false",
      pod({ "sidecar.istio.io/inject": "false" }),
      NS_ENABLED,
      not("pod label sidecar.istio.io/inject=false (overrides namespace label istio-injection=enabled)"),
    ],
    [
      "pod label inject=true wins over annotation false",
      pod({ "sidecar.istio.io/inject": "true" }, { "sidecar.istio.io/inject": "false" }),
      NS_ENABLED,
      will("namespace label istio-injection=enabled", "default"),
    ],
    [
      "pod annotation inject=no (any non-yes value refuses)",
      pod({}, { "sidecar.istio.io/inject": "no" }),
      { "istio.io/rev": "canary" },
      not("pod annotation sidecar.istio.io/inject=no (overrides namespace label istio.io/rev=canary)"),
    ],
    [
      "pod annotation inject=Yes",
      pod({}, { "sidecar.istio.io/inject": "Yes" }),
      NS_ENABLED,
      will("namespace label istio-injection=enabled", "default"),
    ],
    [
      "proxyImage annotation dates the proxy to come",
      pod({}, { "sidecar.istio.io/proxyImage": "docker.io/istio/proxyv2:1.20.3-distroless" }),
      NS_ENABLED,
      will("namespace label istio-injection=enabled", "default", "1.20.3"),
    ],
    [
      "ns ambient",
      pod(),
      { "istio.io/dataplane-mode": "ambient" },
      { state: "ambient", signal: "namespace label istio.io/dataplane-mode=ambient" },
    ],
    [
      "pod ambient",
      pod({ "istio.io/dataplane-mode": "ambient" }),
      {},
      { state: "ambient", signal: "pod label istio.io/dataplane-mode=ambient" },
    ],
    [
      "pod dataplane-mode=none in an ambient ns",
      pod({ "istio.io/dataplane-mode": "none" }),
      { "istio.io/dataplane-mode": "ambient" },
      not(`${NONE}; pod label istio.io/dataplane-mode=none`),
    ],
    [
      "sidecar injection wins over ambient",
      pod(),
      { "istio-injection": "enabled", "istio.io/dataplane-mode": "ambient" },
      will("namespace label istio-injection=enabled", "default"),
    ],
    [
      "ambient still captures a sidecar opt-out",
      pod({ "sidecar.istio.io/inject": "false" }),
      { "istio-injection": "disabled", "istio.io/dataplane-mode": "ambient" },
      { state: "ambient", signal: "namespace label istio.io/dataplane-mode=ambient" },
    ],
    [
      "status annotation alone",
      pod({}, { "sidecar.istio.io/status": '{"initContainers":["istio-init"],"revision":"canary"}' }),
      {},
      {
        state: "injected",
        signal: "annotation sidecar.istio.io/status",
        revision: "canary",
        proxyVersion: "unknown",
      },
    ],
    [
      "garbled status annotation still means injected",
      pod({}, { "sidecar.istio.io/status": "{not json" }),
      {},
      { state: "injected", signal: "annotation sidecar.istio.io/status", proxyVersion: "unknown" },
    ],
    [
      "classic istio-proxy container",
      pod({}, {}, { containers: [app, proxy()] }),
      {},
      { state: "injected", signal: CLASSIC, proxyVersion: "1.22.1" },
    ],
    [
      "native sidecar istio-proxy, named before istio-init",
      pod(
        {},
        {},
        {
          initContainers: [
            { name: "istio-init", image: "docker.io/istio/proxyv2:1.22.1" },
            proxy({ restartPolicy: "Always" }),
          ],
        },
      ),
      { "istio.io/rev": "canary" },
      { state: "injected", signal: NATIVE, revision: "canary", proxyVersion: "1.22.1" },
    ],
    [
      "istio-init alone",
      pod({}, {}, { initContainers: [{ name: "istio-init", image: "docker.io/istio/proxyv2:1.19.0" }] }),
      {},
      { state: "injected", signal: "init container istio-init", proxyVersion: "1.19.0" },
    ],
    [
      "istio-validation (CNI) alone",
      pod(
        {},
        {},
        { initContainers: [{ name: "istio-validation", image: "docker.io/istio/proxyv2:1.19.0" }] },
      ),
      {},
      { state: "injected", signal: "init container istio-validation", proxyVersion: "1.19.0" },
    ],
    [
      "the container's image wins over the proxyImage annotation",
      pod(
        {},
        { "sidecar.istio.io/proxyImage": "docker.io/istio/proxyv2:1.5.1" },
        { containers: [app, proxy()] },
      ),
      {},
      { state: "injected", signal: CLASSIC, proxyVersion: "1.22.1" },
    ],
    [
      "hints never decide alone",
      pod(
        { "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": "p" },
        { "istio.io/rev": "default", "kubectl.kubernetes.io/default-container": "app" },
      ),
      {},
      not(NONE),
    ],
    [
      "hostNetwork is never injected, even with a proxy container",
      pod({}, {}, { hostNetwork: true, containers: [app, proxy()] }),
      NS_ENABLED,
      not(HOST_NETWORK),
    ],
  ])("%s", (_name, p, ns, expected) => {
    expect(detectIstio(p, ns)).toEqual(expected);
  });

  it("tolerates a pod with no metadata or spec", () => {
    expect(detectIstio({}, {})).toEqual(not(NONE));
    expect(detectIstio({})).toEqual(not(NONE));
  });
});
