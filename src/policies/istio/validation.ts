// The Istio check of the validating webhook: it sees the pod after every mutating webhook, so this
// is where a proxy that got in anyway is caught (docs/istio.md). CVM pods, CREATE only.
//   optOut : deny a proxy still present, or ambient capture still on.
//   reroute: warn that DNS capture stays broken; deny a proxy rendered without the docker0 reroute.
//   warn   : allow, with a warning naming the signal and the proxy version.
//   deny   : deny when the pod is or will be captured, saying how to opt out.
// Findings outside the bad version range are no conflict and pass silently.

import type { V1Pod } from "@kubernetes/client-node";
import type { IstioPolicy } from "../../config/config.js";
import { validator } from "../context.js";
import { POD_CREATE } from "../matches.js";
import { allow, deny, withObservations, type Decision } from "../decision.js";
import { isCvmPod, namespaceLabels } from "../cvm-pod.js";
import { describeFinding, isConflict } from "./conflict.js";
import { DATAPLANE_MODE_LABEL, detectIstio, INJECT_KEY, type IstioFinding } from "./detect.js";
import { ISTIO_AUDIT_KEY, istioRecord } from "./record.js";
import { REROUTE_ANNOTATION, REROUTE_INTERFACE, reroutesDocker0 } from "./reroute.js";

function howToOptOut(finding: IstioFinding): string {
  return finding.state === "ambient"
    ? `label the pod ${DATAPLANE_MODE_LABEL}: "none"`
    : `label the pod ${INJECT_KEY}: "false"`;
}

function judge(finding: IstioFinding, pod: V1Pod, policy: IstioPolicy): Decision {
  const what = describeFinding(finding);
  const captured = finding.state === "injected" || finding.state === "ambient";
  switch (policy) {
    case "optOut":
      if (!captured) return allow();
      return deny([
        `Istio ${finding.state === "ambient" ? "ambient mode still captures" : "proxy still present on"} this CVM pod ` +
          `(${what}); istio.policy=optOut keeps CVM pods out of the mesh because the proxy blackholes the inner ` +
          `container's traffic: ${howToOptOut(finding)} and check that nothing removes it`,
      ]);
    case "reroute":
      if (captured && !reroutesDocker0(pod.metadata?.annotations ?? {})) {
        return deny([
          `Istio captures this CVM pod without ${REROUTE_ANNOTATION}=${REROUTE_INTERFACE} (${what}); under ` +
            `istio.policy=reroute the annotation must be on the pod before Istio sets up capture, or the inner ` +
            `container's traffic is blackholed`,
        ]);
      }
      return allow([
        `Istio ${what}: TCP from the CVM's inner container is rerouted through docker0, but DNS capture does not ` +
          `work for it (UDP is not rerouted); use cluster DNS directly or disable DNS capture for this pod`,
      ]);
    case "warn":
      return allow([
        `Istio ${what}: Istio proxies in istio.badVersions break the CVM's inner container networking ` +
          `(its traffic is captured as inbound); to keep it working, ${howToOptOut(finding)}`,
      ]);
    case "deny":
      return deny([
        `CVM pods cannot run with Istio (${what}) under istio.policy=deny: the proxy breaks the inner ` +
          `container's networking; ${howToOptOut(finding)} to opt out`,
      ]);
  }
}

export const validateIstio = validator(POD_CREATE, (ctx) => {
  const { request, config } = ctx;
  const pod = request.object as V1Pod | undefined;
  if (typeof pod !== "object" || pod === null || !isCvmPod(pod, config)) return allow();
  const finding = detectIstio(pod, namespaceLabels(pod, ctx));
  const decision = isConflict(finding, config) ? judge(finding, pod, config.istio.policy) : allow();
  const outcome = !decision.allowed ? "denied" : decision.warnings.length > 0 ? "warned" : "allowed";
  // A denial's message already names the finding; an allowed pod carries it for the audit log.
  if (decision.allowed)
    decision.auditAnnotations = { [ISTIO_AUDIT_KEY]: istioRecord(finding, config.istio.policy) };
  return withObservations(decision, [{ kind: "istio-finding", state: finding.state, outcome }]);
});
