// Both admission orders with the real CVM transform in front of the Istio step, over every fixture:
//   ours first: transform + Istio step, then Istio's injection (replayed) and our re-invocation,
//               which must accept the pod as still exactly our form and change only our record;
//   Istio first: transform + Istio step on Istio's injected pod, which keeps Istio's containers.
// In both, detection on the result classifies the pod with its proxy version.

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import type { IstioPolicy } from "../../../src/config/config.js";
import { loadConfig } from "../../../src/config/load.js";
import type { PodMutator } from "../../../src/policies/context.js";
import { mutateCvmPod } from "../../../src/policies/cvm/mutate.js";
import { detectIstio } from "../../../src/policies/istio/detect.js";
import { istioMutation } from "../../../src/policies/istio/mutation.js";
import {
  asCvmPod,
  fixturePod,
  INJECT_CASES,
  injectLikeIstio,
  namespace,
  podRequest,
  withProxyImage,
} from "./support.js";

const NS = namespace("mesh", { "cvm.dev/enabled": "true", "istio-injection": "enabled" });
const NS_LABELS = NS.metadata!.labels!;
const CHAIN: PodMutator[] = [mutateCvmPod, istioMutation];
const PROXY_IMAGE = "docker.io/istio/proxyv2:1.20.3-distroless";
const NATIVE = "native sidecar init container istio-proxy";
const CLASSIC = "container istio-proxy";
// Read off the fixtures: where Istio put its proxy.
const CLASSIC_CASES = new Set(["non-native-sidecar", "native-opt-out"]);
const NOT_INJECTED = new Set(["host-network-skipped", "inject-false-annotation"]);

const asCvm = (pod: V1Pod) => asCvmPod(pod, "mesh");

describe.each<IstioPolicy>(["optOut", "reroute", "warn", "deny"])("%s", (policy) => {
  const config = loadConfig({ env: { CVM_ADMISSION_ISTIO_POLICY: policy } });
  const view = new FileClusterView([NS], config);
  const chain = (pod: V1Pod): { pod: V1Pod } | { reasons: string[] } => {
    let current = pod;
    for (const step of CHAIN) {
      const request = podRequest("mesh", current);
      const decision = step(current, { request, view, config });
      if (!decision.allowed) return { reasons: decision.reasons };
      if (decision.mutated) current = decision.mutated;
    }
    return { pod: current };
  };

  it.each(INJECT_CASES.filter((c) => !NOT_INJECTED.has(c.case)))("$case", (istioCase) => {
    const expected = {
      state: "injected",
      signal: CLASSIC_CASES.has(istioCase.case) ? CLASSIC : NATIVE,
      revision: "default",
      proxyVersion: "1.20.3",
    };

    // Istio first: our chain on the injected pod keeps Istio's containers and volumes.
    const injectedFirst = asCvm(withProxyImage(fixturePod(`inject/${istioCase.injected}`), PROXY_IMAGE));
    const afterIstio = chain(injectedFirst);
    if ("reasons" in afterIstio) {
      // The CVM transform refuses some shapes (several app containers, init containers, hostPath);
      // it must refuse them for the user's pod too, not because of Istio.
      expect(chain(asCvm(fixturePod(`inject/${istioCase.input}`)))).toHaveProperty("reasons");
      return;
    }
    expect(detectIstio(afterIstio.pod, NS_LABELS)).toEqual(expected);
    const meshNames = (p: V1Pod) =>
      [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]
        .map((c) => c.name)
        .filter((n) => n.startsWith("istio-"));
    expect(meshNames(afterIstio.pod)).toEqual(meshNames(injectedFirst));

    // Ours first: transform, our step, Istio's injection, our re-invocation.
    const ours = chain(asCvm(fixturePod(`inject/${istioCase.input}`)));
    if ("reasons" in ours) throw new Error(`transform refused ${istioCase.case}: ${ours.reasons.join("; ")}`);
    expect(chain(ours.pod)).toEqual({ pod: ours.pod }); // idempotent
    const injected = withProxyImage(injectLikeIstio(ours.pod, istioCase), PROXY_IMAGE);
    const reinvoked = chain(injected);
    if ("reasons" in reinvoked)
      throw new Error(`re-invocation refused ${istioCase.case}: ${reinvoked.reasons.join("; ")}`);
    expect(reinvoked.pod.spec).toEqual(injected.spec);
    const { ["cvm.dev/istio"]: record, ...others } = reinvoked.pod.metadata?.annotations ?? {};
    const { ["cvm.dev/istio"]: _before, ...injectedOthers } = injected.metadata?.annotations ?? {};
    expect(others).toEqual(injectedOthers);
    expect(JSON.parse(record!)).toEqual({ ...expected, policy });
  });
});
