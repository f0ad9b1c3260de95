// The Istio step of the mutating chain. It runs after the CVM transform, before Istio's injector
// (our webhook configuration sorts first), and again if Istio's injection re-invokes us: it only
// touches pod labels and annotations, never Istio's containers, volumes or annotations.
//   optOut : label sidecar.istio.io/inject=false (+ istio.io/dataplane-mode=none when ambient).
//            Added even when no visible signal says "inject", because mesh-wide settings
//            (enableNamespacesByDefault, alwaysInjectSelector) are invisible on the pod.
//   reroute: annotation istio.io/reroute-virtual-interfaces gains docker0 before Istio sets up
//            capture (sidecar template or ambient CNI; both honour it).
//   warn, deny: nothing; the validating webhook judges the final pod.
// Every CVM pod gets the finding recorded in cvm.dev/istio.

import type { V1Pod } from "@kubernetes/client-node";
import type { PodMutator } from "../context.js";
import { allow, withObservations, type IstioOutcome } from "../decision.js";
import { isCvmPod, namespaceLabels } from "../cvm-pod.js";
import { isConflict } from "./conflict.js";
import { DATAPLANE_MODE_LABEL, detectIstio, INJECT_KEY, type IstioFinding } from "./detect.js";
import { ISTIO_RECORD_ANNOTATION, istioRecord } from "./record.js";
import { REROUTE_ANNOTATION, REROUTE_INTERFACE, reroutesDocker0 } from "./reroute.js";

interface Edit {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  warnings: string[];
}

/** Sets a label; true when that changed the pod. */
function setLabel(edit: Edit, key: string, value: string): boolean {
  const previous = edit.labels[key];
  if (previous === value) return false;
  if (previous !== undefined) {
    edit.warnings.push(
      `cvm-admission set the label ${key}=${value} (was ${JSON.stringify(previous)}): ` +
        `CVM pods stay out of the Istio mesh under istio.policy=optOut`,
    );
  }
  edit.labels[key] = value;
  return true;
}

function optOut(edit: Edit, finding: IstioFinding, conflict: boolean): IstioOutcome {
  // A sidecar in a known-good version may stay; anything else (including "not injected") is opted out.
  const keepsGoodProxy = !conflict && (finding.state === "injected" || finding.state === "will-be-injected");
  if (keepsGoodProxy) return "unchanged";
  const sidecar = setLabel(edit, INJECT_KEY, "false");
  const ambient = finding.state === "ambient" && setLabel(edit, DATAPLANE_MODE_LABEL, "none");
  return sidecar || ambient ? "opted-out" : "unchanged";
}

function reroute(edit: Edit, finding: IstioFinding, conflict: boolean): IstioOutcome {
  // Only before capture is set up: an injected pod's iptables were rendered without us.
  const capturePending = finding.state === "will-be-injected" || finding.state === "ambient";
  if (!capturePending || !conflict || reroutesDocker0(edit.annotations)) return "unchanged";
  const current = edit.annotations[REROUTE_ANNOTATION];
  edit.annotations[REROUTE_ANNOTATION] = current ? `${current},${REROUTE_INTERFACE}` : REROUTE_INTERFACE;
  edit.warnings.push(
    `cvm-admission added ${REROUTE_ANNOTATION}=${REROUTE_INTERFACE} so the Istio proxy treats the CVM's inner ` +
      `traffic as outbound; DNS capture stays broken for the inner container (the reroute covers TCP only)`,
  );
  return "rerouted";
}

export const istioMutation: PodMutator = (pod, ctx) => {
  if (!isCvmPod(pod, ctx.config)) return allow();
  const nsLabels = namespaceLabels(pod, ctx);
  const finding = detectIstio(pod, nsLabels);
  const conflict = isConflict(finding, ctx.config);
  const edit: Edit = {
    labels: { ...pod.metadata?.labels },
    annotations: { ...pod.metadata?.annotations },
    warnings: [],
  };
  const policy = ctx.config.istio.policy;
  let outcome: IstioOutcome = "unchanged";
  if (policy === "optOut") outcome = optOut(edit, finding, conflict);
  else if (policy === "reroute") outcome = reroute(edit, finding, conflict);

  const mutated: V1Pod = {
    ...pod,
    metadata: { ...pod.metadata, labels: edit.labels, annotations: edit.annotations },
  };
  // Recorded from the pod as it leaves this step, so re-running the step reproduces the same bytes.
  edit.annotations[ISTIO_RECORD_ANNOTATION] = istioRecord(detectIstio(mutated, nsLabels), policy);
  return withObservations(allow(edit.warnings, mutated), [
    { kind: "istio-finding", state: finding.state, outcome },
  ]);
};
