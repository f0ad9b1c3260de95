// The Istio policies through the admission order: our mutation, then (when Istio's selectors pick
// the pod) Istio's injection and our re-invocation, then our validation of the final pod.

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import type { Config, IstioPolicy } from "../../../src/config/config.js";
import { loadConfig } from "../../../src/config/load.js";
import type { PolicyContext } from "../../../src/policies/context.js";
import type { Decision } from "../../../src/policies/decision.js";
import { detectIstio } from "../../../src/policies/istio/detect.js";
import { istioMutation } from "../../../src/policies/istio/mutation.js";
import { validateIstio } from "../../../src/policies/istio/validation.js";
import { schemaErrors } from "../../support/k8s-schema.js";
import {
  asCvmPod,
  fixturePod,
  INJECT_CASES,
  injectLikeIstio,
  namespace,
  podRequest,
  withProxyImage,
  type InjectCase,
} from "./support.js";

const OPT_IN = { "cvm.dev/enabled": "true" };
const NAMESPACES = [
  namespace("mesh", { ...OPT_IN, "istio-injection": "enabled" }),
  namespace("canary", { ...OPT_IN, "istio.io/rev": "canary" }),
  namespace("ambient", { ...OPT_IN, "istio.io/dataplane-mode": "ambient" }),
  namespace("plain", OPT_IN),
];
const POLICIES: IstioPolicy[] = ["optOut", "reroute", "warn", "deny"];

function configFor(policy: IstioPolicy, badVersions = ">=1.6"): Config {
  return loadConfig({
    env: { CVM_ADMISSION_ISTIO_POLICY: policy, CVM_ADMISSION_ISTIO_BAD_VERSIONS: badVersions },
  });
}

const cvmPod = (pod: V1Pod, ns: string) => asCvmPod(pod, ns);

function context(
  config: Config,
  ns: string,
  object: V1Pod,
  operation: "CREATE" | "UPDATE" = "CREATE",
): PolicyContext {
  return {
    request: podRequest(ns, object, operation),
    view: new FileClusterView(NAMESPACES, config),
    config,
  };
}

interface Admission {
  first: Decision;
  reinvoked?: Decision;
  injectedByIstio?: V1Pod;
  final: V1Pod;
  verdict: Decision;
}

/** Mutation, Istio's injection if its selectors pick the pod (then our re-invocation), validation. */
function admit(pod: V1Pod, ns: string, config: Config, istio?: InjectCase): Admission {
  const first = istioMutation(pod, context(config, ns, pod));
  let final = first.allowed && first.mutated ? first.mutated : pod;
  const nsLabels = NAMESPACES.find((n) => n.metadata?.name === ns)!.metadata!.labels!;
  let reinvoked: Decision | undefined;
  let injectedByIstio: V1Pod | undefined;
  if (istio && detectIstio(final, nsLabels).state === "will-be-injected") {
    injectedByIstio = injectLikeIstio(final, istio);
    reinvoked = istioMutation(injectedByIstio, context(config, ns, injectedByIstio));
    final = reinvoked.allowed && reinvoked.mutated ? reinvoked.mutated : injectedByIstio;
  }
  const verdict = validateIstio(context(config, ns, final)) as Decision;
  return { first, reinvoked, injectedByIstio, final, verdict };
}

const record = (pod: V1Pod) =>
  JSON.parse(pod.metadata?.annotations?.["cvm.dev/istio"] ?? "null") as Record<string, string>;
const reasons = (d: Decision) => (d.allowed ? [] : d.reasons);
const defaultCase = INJECT_CASES.find((c) => c.case === "default")!;
const nativeInput = () => fixturePod(`inject/${defaultCase.input}`);

describe("optOut (default policy)", () => {
  const config = configFor("optOut");

  it("is the default", () => {
    expect(loadConfig({ env: {} }).istio.policy).toBe("optOut");
  });

  it("labels a CVM pod in an istio-injection=enabled namespace out, so Istio does not inject it", () => {
    const { first, injectedByIstio, final, verdict } = admit(
      cvmPod(nativeInput(), "mesh"),
      "mesh",
      config,
      defaultCase,
    );
    expect(first.allowed && first.mutated?.metadata?.labels?.["sidecar.istio.io/inject"]).toBe("false");
    expect(first.warnings).toEqual([]);
    expect(injectedByIstio).toBeUndefined();
    expect(record(final)).toEqual({
      state: "not-injected",
      signal: "pod label sidecar.istio.io/inject=false (overrides namespace label istio-injection=enabled)",
      policy: "optOut",
    });
    expect(verdict).toEqual({
      allowed: true,
      warnings: [],
      auditAnnotations: { istio: final.metadata?.annotations?.["cvm.dev/istio"] },
      observations: [{ kind: "istio-finding", state: "not-injected", outcome: "allowed" }],
    });
    expect(schemaErrors(final)).toEqual([]);
  });

  it("opts ambient pods out of ambient too", () => {
    const { final, verdict } = admit(cvmPod(nativeInput(), "ambient"), "ambient", config);
    expect(final.metadata?.labels).toMatchObject({
      "sidecar.istio.io/inject": "false",
      "istio.io/dataplane-mode": "none",
    });
    expect(record(final).state).toBe("not-injected");
    expect(verdict.allowed).toBe(true);
  });

  it("labels pods out even with no visible signal (mesh-wide injection is invisible on the pod)", () => {
    const { final, verdict } = admit(cvmPod(nativeInput(), "plain"), "plain", config);
    expect(final.metadata?.labels?.["sidecar.istio.io/inject"]).toBe("false");
    expect(verdict).toMatchObject({ allowed: true, warnings: [] });
  });

  it("overrides a user's inject=true label, saying so", () => {
    const pod = cvmPod(nativeInput(), "plain");
    pod.metadata!.labels!["sidecar.istio.io/inject"] = "true";
    const { first, final } = admit(pod, "plain", config);
    expect(final.metadata?.labels?.["sidecar.istio.io/inject"]).toBe("false");
    expect(first.warnings).toEqual([expect.stringContaining('sidecar.istio.io/inject=false (was "true")')]);
  });

  it.each(INJECT_CASES.filter((c) => !["host-network-skipped", "inject-false-annotation"].includes(c.case)))(
    "denies the injected fixture $case, naming the signal",
    (istioCase) => {
      const injected = cvmPod(fixturePod(`inject/${istioCase.injected}`), "mesh");
      const { first, final, verdict } = admit(injected, "mesh", config);
      // Our mutation leaves Istio's containers, volumes and annotations as they were.
      expect(final.spec).toEqual(injected.spec);
      for (const [key, value] of Object.entries(injected.metadata?.annotations ?? {})) {
        expect(final.metadata?.annotations?.[key]).toBe(value);
      }
      expect(first.allowed).toBe(true);
      expect(verdict.allowed).toBe(false);
      const signal = detectIstio(injected, {}).signal;
      expect(reasons(verdict)).toEqual([expect.stringContaining(`signal: ${signal}`)]);
      expect(reasons(verdict)[0]).toContain('label the pod sidecar.istio.io/inject: "false"');
    },
  );

  it("allows a proxy outside the bad range (1.5.1 < 1.6) and leaves it in", () => {
    const injected = cvmPod(
      withProxyImage(fixturePod(`inject/${defaultCase.injected}`), "docker.io/istio/proxyv2:1.5.1"),
      "mesh",
    );
    const { final, verdict } = admit(injected, "mesh", config);
    expect(final.metadata?.labels?.["sidecar.istio.io/inject"]).toBeUndefined();
    expect(verdict).toMatchObject({ allowed: true, warnings: [] });
    const pending = cvmPod(nativeInput(), "mesh");
    pending.metadata!.annotations = { "sidecar.istio.io/proxyImage": "docker.io/istio/proxyv2:1.5.1" };
    expect(
      admit(pending, "mesh", config).final.metadata?.labels?.["sidecar.istio.io/inject"],
    ).toBeUndefined();
  });

  it("denies ambient capture that is still on in the final pod", () => {
    const pod = cvmPod(nativeInput(), "plain");
    pod.metadata!.labels!["istio.io/dataplane-mode"] = "ambient";
    const verdict = validateIstio(context(config, "plain", pod)) as Decision;
    expect(reasons(verdict)).toEqual([
      expect.stringContaining('label the pod istio.io/dataplane-mode: "none"'),
    ]);
  });
});

describe("warn", () => {
  const config = configFor("warn");

  it("adds nothing but the record, Istio injects, and validation warns naming signal and version", () => {
    const pod = cvmPod(nativeInput(), "mesh");
    pod.metadata!.annotations = {
      "sidecar.istio.io/proxyImage": "docker.io/istio/proxyv2:1.20.3-distroless",
    };
    const { first, injectedByIstio, reinvoked, final, verdict } = admit(pod, "mesh", config, defaultCase);
    expect(first.allowed && first.mutated?.metadata?.labels).toEqual(pod.metadata?.labels);
    expect(injectedByIstio).toBeDefined();
    // Re-invoked after injection: only our record changes (it now says "injected").
    expect(reinvoked?.allowed && reinvoked.mutated?.spec).toEqual(injectedByIstio!.spec);
    expect(record(final)).toMatchObject({
      state: "injected",
      signal: "native sidecar init container istio-proxy",
      revision: "default",
    });
    expect(verdict.allowed).toBe(true);
    expect(verdict.warnings).toHaveLength(1);
    expect(verdict.warnings[0]).toContain("signal: native sidecar init container istio-proxy");
    // The fixture's image is `latest`: the version is unknown, and said so.
    expect(verdict.warnings[0]).toContain("proxy unknown");
  });

  it.each(INJECT_CASES.filter((c) => !["host-network-skipped", "inject-false-annotation"].includes(c.case)))(
    "allows the injected fixture $case with a warning naming the proxy version",
    (istioCase) => {
      const image = "docker.io/istio/proxyv2:1.20.3-distroless";
      const injected = cvmPod(withProxyImage(fixturePod(`inject/${istioCase.injected}`), image), "mesh");
      const { verdict } = admit(injected, "mesh", config);
      expect(verdict.allowed).toBe(true);
      expect(verdict.warnings).toEqual([expect.stringContaining("proxy 1.20.3")]);
      expect(verdict.warnings[0]).toContain(`signal: ${detectIstio(injected, {}).signal}`);
    },
  );
});

describe("deny", () => {
  const config = configFor("deny");

  it("denies a pod that will be injected, saying how to opt out", () => {
    const { first, verdict } = admit(cvmPod(nativeInput(), "canary"), "canary", config);
    expect(first.allowed && first.mutated?.metadata?.labels).toEqual({
      ...nativeInput().metadata?.labels,
      ...OPT_IN,
    });
    expect(reasons(verdict)).toEqual([
      expect.stringContaining("signal: namespace label istio.io/rev=canary"),
    ]);
    expect(reasons(verdict)[0]).toContain('label the pod sidecar.istio.io/inject: "false" to opt out');
  });

  it("denies an injected pod and an ambient one", () => {
    const injected = cvmPod(fixturePod(`inject/${defaultCase.injected}`), "mesh");
    expect(admit(injected, "mesh", config).verdict.allowed).toBe(false);
    const { verdict } = admit(cvmPod(nativeInput(), "ambient"), "ambient", config);
    expect(reasons(verdict)).toEqual([expect.stringContaining('istio.io/dataplane-mode: "none" to opt out')]);
  });
});

describe("reroute", () => {
  const config = configFor("reroute");

  it("adds the docker0 reroute before Istio renders, warns about DNS, and survives re-invocation", () => {
    const { first, injectedByIstio, reinvoked, final, verdict } = admit(
      cvmPod(nativeInput(), "mesh"),
      "mesh",
      config,
      defaultCase,
    );
    expect(
      first.allowed && first.mutated?.metadata?.annotations?.["istio.io/reroute-virtual-interfaces"],
    ).toBe("docker0");
    expect(first.warnings).toEqual([expect.stringContaining("DNS capture stays broken")]);
    expect(injectedByIstio).toBeDefined();
    expect(reinvoked?.warnings).toEqual([]);
    expect(final.metadata?.annotations?.["istio.io/reroute-virtual-interfaces"]).toBe("docker0");
    expect(verdict.allowed).toBe(true);
    expect(verdict.warnings).toEqual([expect.stringContaining("DNS capture does not work")]);
  });

  it("appends docker0 to interfaces the user listed, and keeps an existing docker0", () => {
    const pod = cvmPod(nativeInput(), "mesh");
    pod.metadata!.annotations = { "istio.io/reroute-virtual-interfaces": "eth1" };
    expect(
      admit(pod, "mesh", config).final.metadata?.annotations?.["istio.io/reroute-virtual-interfaces"],
    ).toBe("eth1,docker0");
    pod.metadata!.annotations = { "traffic.sidecar.istio.io/kubevirtInterfaces": "docker0" };
    const { first } = admit(pod, "mesh", config);
    expect(first.warnings).toEqual([]);
    expect(
      first.allowed && first.mutated?.metadata?.annotations?.["istio.io/reroute-virtual-interfaces"],
    ).toBeUndefined();
  });

  it("reroutes ambient capture too (ztunnel's CNI honours the annotation)", () => {
    const { final } = admit(cvmPod(nativeInput(), "ambient"), "ambient", config);
    expect(final.metadata?.annotations?.["istio.io/reroute-virtual-interfaces"]).toBe("docker0");
  });

  it("denies a proxy that was rendered without the reroute", () => {
    const injected = cvmPod(fixturePod(`inject/${defaultCase.injected}`), "mesh");
    const { verdict } = admit(injected, "mesh", config);
    expect(reasons(verdict)).toEqual([
      expect.stringContaining("without istio.io/reroute-virtual-interfaces=docker0"),
    ]);
  });
});

describe("every policy", () => {
  it.each(POLICIES)("%s: never flags a pod with sidecar.istio.io/inject=false or hostNetwork", (policy) => {
    const config = configFor(policy);
    const optedOut = cvmPod(fixturePod("inject/inject-false-annotation/input.yaml"), "mesh");
    optedOut.metadata!.labels!["sidecar.istio.io/inject"] = "false";
    const hostNetwork = cvmPod(fixturePod("inject/host-network-skipped/input.yaml"), "mesh");
    for (const pod of [
      optedOut,
      cvmPod(fixturePod("inject/inject-false-annotation/input.yaml"), "mesh"),
      hostNetwork,
    ]) {
      const { first, final, verdict } = admit(pod, "mesh", config, defaultCase);
      expect(first.warnings).toEqual([]);
      expect(verdict).toMatchObject({ allowed: true, warnings: [] });
      expect(record(final).state).toBe("not-injected");
    }
  });

  it.each(POLICIES)("%s: the mutation is idempotent for every fixture pod in every namespace", (policy) => {
    const config = configFor(policy);
    for (const istioCase of INJECT_CASES) {
      for (const path of [istioCase.input, istioCase.injected]) {
        for (const ns of NAMESPACES.map((n) => n.metadata!.name!)) {
          const pod = cvmPod(fixturePod(`inject/${path}`), ns);
          const once = istioMutation(pod, context(config, ns, pod));
          const mutated = once.allowed ? once.mutated! : pod;
          const twice = istioMutation(mutated, context(config, ns, mutated));
          expect(twice.allowed && twice.mutated).toEqual(mutated);
          expect(twice.warnings).toEqual([]);
          expect(schemaErrors(mutated)).toEqual([]);
        }
      }
    }
  });

  it.each(POLICIES)("%s: leaves pods without the CVM label alone, and judges only CREATE", (policy) => {
    const config = configFor(policy);
    const plain = fixturePod(`inject/${defaultCase.injected}`);
    expect(istioMutation(plain, context(config, "mesh", plain))).toEqual({ allowed: true, warnings: [] });
    expect(validateIstio(context(config, "mesh", plain))).toEqual({ allowed: true, warnings: [] });
    const cvm = cvmPod(plain, "mesh");
    expect(validateIstio(context(config, "mesh", cvm, "UPDATE"))).toEqual({ allowed: true, warnings: [] });
  });

  it("honours a configured bad range: with <1.6 only, an undatable proxy is still bad, 1.20.3 is not", () => {
    const config = configFor("warn", "<1.6");
    const injected = cvmPod(fixturePod(`inject/${defaultCase.injected}`), "mesh");
    expect(admit(injected, "mesh", config).verdict.warnings).toHaveLength(1);
    const dated = cvmPod(
      withProxyImage(fixturePod(`inject/${defaultCase.injected}`), "docker.io/istio/proxyv2:1.20.3"),
      "mesh",
    );
    expect(admit(dated, "mesh", config).verdict).toMatchObject({ allowed: true, warnings: [] });
  });
});
