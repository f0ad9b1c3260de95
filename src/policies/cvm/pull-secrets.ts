// Image pull secrets: the pod's stay (the kubelet pulls envbox with them), the configured envbox
// secrets are put in front, and the user's first secret reaches envbox for the inner image as
// CODER_IMAGE_PULL_SECRET (docs/cvm-form.md, "Pull credentials"): the one the annotation
// cvm.dev/image-pull-secret names, else the first. In front, not at the end: secrets a later webhook
// (Istio) appends then stay after the user's and the inverse still finds them.

import type { V1EnvVar, V1LocalObjectReference } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import type { Findings } from "./findings.js";
import { DOCKER_CONFIG_PATH, ENV, PULL_SECRET_ANNOTATION } from "./names.js";

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
    // With the annotation the chosen secret need not be first: the shortest tail that encodes.
    if (encodes && (firstUser === undefined || candidate[0]?.name === firstUser)) return candidate;
  }
  return [...all];
}

export function pullSecretEnv(
  user: readonly V1LocalObjectReference[],
  annotations: Readonly<Record<string, string>> | undefined,
  path: string,
  findings: Findings,
): V1EnvVar[] {
  const named = annotations?.[PULL_SECRET_ANNOTATION];
  const config: V1EnvVar = { name: ENV.dockerConfig, value: DOCKER_CONFIG_PATH };
  if (named !== undefined && !user.some((s) => s.name === named)) {
    findings.reasons.push(
      `metadata.annotations["${PULL_SECRET_ANNOTATION}"]: ${JSON.stringify(named)} is not one of ${path}; ` +
        `name one of the pod's image pull secrets`,
    );
    return [config];
  }
  const chosen = named ?? user[0]?.name;
  if (!chosen) return [config];
  if (user.length > 1 && named === undefined) {
    findings.warnings.push(
      `${path}: only ${chosen} is used to pull the inner image (envbox reads one secret); ` +
        `name another with the annotation ${PULL_SECRET_ANNOTATION}`,
    );
  }
  findings.warnings.push(
    `${path}: envbox reads the key .dockerconfigjson of ${chosen}; a secret of type kubernetes.io/dockercfg ` +
      `gives the inner image no credentials (re-create it as kubernetes.io/dockerconfigjson)`,
  );
  return [
    {
      name: ENV.imagePullSecret,
      valueFrom: { secretKeyRef: { name: chosen, key: ".dockerconfigjson", optional: true } },
    },
    config,
  ];
}
