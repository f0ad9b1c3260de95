// Image pull secrets: the pod's stay (the kubelet pulls envbox with them), the configured envbox
// secrets are put in front, and the user's first secret reaches envbox for the inner image as
// CODER_IMAGE_PULL_SECRET (docs/cvm-form.md). In front, not at the end: secrets a later webhook
// (Istio) appends then stay after the user's and the inverse still finds them.

import type { V1EnvVar, V1LocalObjectReference } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import type { Findings } from "./findings.js";
import { ENV } from "./names.js";

export function withSupervisorSecrets(
  user: readonly V1LocalObjectReference[],
  config: Config,
): V1LocalObjectReference[] {
  const present = new Set(user.map((s) => s.name));
  const added = config.supervisor.imagePullSecrets
    .filter((name) => !present.has(name))
    .map((name) => ({ name }));
  return [...added, ...user];
}

/**
 * The inverse of `withSupervisorSecrets`: the shortest tail that re-encodes to the same list and
 * starts with the secret CODER_IMAGE_PULL_SECRET names (`firstUser`, undefined when it is absent).
 */
export function userSecrets(
  all: readonly V1LocalObjectReference[],
  firstUser: string | undefined,
  config: Config,
): V1LocalObjectReference[] {
  const limit = Math.min(all.length, config.supervisor.imagePullSecrets.length);
  for (let skip = limit; skip > 0; skip--) {
    const candidate = all.slice(skip);
    const encodes = JSON.stringify(withSupervisorSecrets(candidate, config)) === JSON.stringify(all);
    if (encodes && candidate[0]?.name === firstUser) return candidate;
  }
  return [...all];
}

export function pullSecretEnv(
  user: readonly V1LocalObjectReference[],
  path: string,
  findings: Findings,
): V1EnvVar[] {
  const first = user[0]?.name;
  if (!first) return [];
  if (user.length > 1) {
    findings.warnings.push(
      `${path}: only ${first} is used to pull the inner image (envbox reads one secret, of type kubernetes.io/dockerconfigjson)`,
    );
  }
  return [
    {
      name: ENV.imagePullSecret,
      valueFrom: { secretKeyRef: { name: first, key: ".dockerconfigjson", optional: true } },
    },
  ];
}
