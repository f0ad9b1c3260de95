// CODER_INNER_HOSTNAME: the hostname the kubelet would give the pod (docs/cvm-form.md, "Hostname").
// The kubelet takes spec.hostnameOverride, else spec.hostname, else the pod's name cut to 63
// characters without a trailing '-' or '.' (pkg/kubelet: GeneratePodHostNameAndDomain,
// truncatePodHostnameIfNeeded); docker refuses longer hostnames when the inner container starts.

import type { V1EnvVar, V1Pod } from "@kubernetes/client-node";
import type { Findings } from "./findings.js";
import { ENV } from "./names.js";

const MAX_HOSTNAME = 63;

export function hostnameEnv(pod: V1Pod, findings: Findings): V1EnvVar {
  const spec = pod.spec!;
  const override = (spec as { hostnameOverride?: string }).hostnameOverride;
  const name = pod.metadata?.name;
  if (spec.setHostnameAsFQDN) {
    findings.warnings.push(
      `spec.setHostnameAsFQDN: the CVM's inner hostname is the short name; only the supervisor gets the FQDN`,
    );
  }
  const literal = override || spec.hostname;
  if (literal) return { name: ENV.innerHostname, value: literal };
  if (name && name.length > MAX_HOSTNAME)
    return { name: ENV.innerHostname, value: name.slice(0, MAX_HOSTNAME).replace(/[-.]+$/, "") };
  // A name from generateName is unknown here, and at most 63 characters (the apiserver cuts the base to 58).
  return {
    name: ENV.innerHostname,
    valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
  };
}
