// Resources stay on the supervisor (the kubelet enforces them on the whole CVM); envbox also gets
// the limits as literals: CODER_CPUS = ceil(limits.cpu), CODER_MEMORY = bytes of limits.memory
// (docs/cvm-form.md). Literals, not resourceFieldRef: without a limit the downward API would report
// the node's allocatable, and envbox would size the inner container to the whole node.

import type { V1EnvVar, V1ResourceRequirements } from "@kubernetes/client-node";
import type { Findings } from "./findings.js";
import { ENV } from "./names.js";
import { ceilQuantity, parseQuantity } from "./quantity.js";

/** The largest CODER_CPUS whose quota (n x 100000) envbox can hold in an int64. */
const MAX_CPUS = (2n ** 63n - 1n) / 100000n;
/** Docker refuses a smaller memory limit for the inner container. */
const DOCKER_MIN_MEMORY = 6n * 1024n * 1024n;

const NATIVE = new Set(["cpu", "memory", "ephemeral-storage"]);

function isNative(resource: string): boolean {
  return NATIVE.has(resource) || resource.startsWith("hugepages-");
}

/** Extended resources and resource claims are refused, except the GPUs gpu.ts judges (`gpuNames`). */
export function checkResources(
  resources: V1ResourceRequirements | undefined,
  path: string,
  gpuNames: readonly string[],
  findings: Findings,
): void {
  for (const kind of ["limits", "requests"] as const) {
    for (const name of Object.keys(resources?.[kind] ?? {}).sort()) {
      if (!isNative(name) && !gpuNames.includes(name)) {
        findings.reasons.push(
          `${path}.resources.${kind}["${name}"]: extended resources other than GPUs (supervisor.gpu.resourceNames: ` +
            `${gpuNames.join(", ")}) are not passed into the CVM`,
        );
      }
    }
  }
  if ((resources?.claims ?? []).length > 0) {
    findings.reasons.push(`${path}.resources.claims: resource claims are not passed into the CVM`);
  }
}

export function limitEnv(
  resources: V1ResourceRequirements | undefined,
  path: string,
  findings: Findings,
): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  const limits = resources?.limits ?? {};
  for (const [resource, name] of [
    ["cpu", ENV.cpus],
    ["memory", ENV.memory],
  ] as const) {
    const text = limits[resource];
    if (text === undefined) continue;
    const value = parseQuantity(String(text));
    if (value === undefined || value.numerator < 0n) {
      findings.reasons.push(
        `${path}.resources.limits.${resource}: ${JSON.stringify(text)} is not a valid quantity`,
      );
      continue;
    }
    const whole = ceilQuantity(value);
    const tooBig = resource === "cpu" ? BigInt(whole) > MAX_CPUS : BigInt(whole) >= 2n ** 63n;
    if (tooBig) {
      // envbox reads an int64 (the CPU quota is n x 100000): beyond that it reads "no limit" or overflows.
      findings.reasons.push(
        `${path}.resources.limits.${resource}: ${text} is more than envbox can enforce; set a limit the node can hold`,
      );
      continue;
    }
    if (resource === "memory" && BigInt(whole) > 0n && BigInt(whole) < DOCKER_MIN_MEMORY) {
      findings.reasons.push(
        `${path}.resources.limits.memory: ${text} is below 6 MiB, the least docker gives the inner container`,
      );
      continue;
    }
    if (resource === "cpu" && value.numerator % value.denominator !== 0n) {
      findings.warnings.push(
        `${path}.resources.limits.cpu: ${text} is rounded up to ${whole} for the inner container (envbox takes ` +
          `whole CPUs); the pod's limit of ${text} still holds for the whole CVM`,
      );
    }
    env.push({ name, value: whole });
  }
  return env;
}
