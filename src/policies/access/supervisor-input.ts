// Unsafe input never reaches the privileged process (docs/cvm-form.md, "Env" and "Mounts"): the mutation's env and mount
// rules, enforced again on the pod as it will run. The validating webhook sees the pod after every
// mutating webhook, so a later one that adds any variable outside our encoding (LD_PRELOAD, a stray
// CODER_* variable), a wildcard in CODER_INNER_ENVS or a mount under /var/lib/sysbox to the
// supervisor is caught here.
// The rules themselves live in policies/cvm (one implementation each); this module applies them
// to the supervisor of the final pod.

import type { V1Container, V1EnvVar, V1VolumeMount } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { validator } from "../context.js";
import { allow, deny } from "../decision.js";
import { envFromPrefixOf, isEncodedName, isReservedName } from "../cvm/env-names.js";
import { references } from "../cvm/expansion.js";
import { newFindings } from "../cvm/findings.js";
import { injectedMounts } from "../cvm/injected-volumes.js";
import { decodeMountTargets, encodeMounts } from "../cvm/mounts.js";
import {
  ARGV_PREFIX,
  DOCKER_STATE_ANNOTATION,
  ENV,
  GPU_LIBRARY_PATH,
  KUBERNETES_SERVICE_PREFIX,
  MOUNT_STAGING_DIR,
  PASSTHROUGH_ENV,
  RESERVED_VOLUME_PREFIX,
  SUPERVISOR_NAME,
  USER_ENV_PREFIX,
} from "../cvm/names.js";
import { POD_CREATE } from "../matches.js";
import { podCreateInScope, podRef } from "../cvm-pod.js";

const SUPERVISOR_ENV: ReadonlySet<string> = new Set(Object.values(ENV));
const OUR_WILDCARDS: ReadonlySet<string> = new Set([
  `${USER_ENV_PREFIX}*`,
  `${ARGV_PREFIX}*`,
  `${KUBERNETES_SERVICE_PREFIX}*`,
]);
const STAGED_MOUNT = new RegExp(`^${MOUNT_STAGING_DIR}/\\d{2}$`);

/** Names the mutation itself writes: envbox's variables, the agent's, and names of our encoding. */
function isOurName(name: string): boolean {
  return SUPERVISOR_ENV.has(name) || PASSTHROUGH_ENV.has(name) || isEncodedName(name);
}

function isOurWildcard(token: string): boolean {
  return OUR_WILDCARDS.has(token) || envFromPrefixOf(token.slice(0, -1)) === token.slice(0, -1);
}

/** The tokens envbox reads from CODER_INNER_ENVS; a token ending in `*` copies every name with that prefix. */
function innerEnvsProblems(value: string): string[] {
  const problems: string[] = [];
  for (const token of value.split(",").map((t) => t.trim())) {
    if (token === "") continue;
    if (token.endsWith("*")) {
      if (!isOurWildcard(token)) {
        problems.push(
          `CODER_INNER_ENVS lists ${JSON.stringify(token)}, a wildcard that can copy envbox's own secrets ` +
            `(CODER_IMAGE_PULL_SECRET, CODER_BOOTSTRAP_SCRIPT) into the CVM`,
        );
      }
    } else if (isReservedName(token)) {
      problems.push(`CODER_INNER_ENVS lists ${token}, a reserved variable of envbox or the CVM`);
    }
  }
  return problems;
}

/** A literal value; `$(NAME)` would let the kubelet splice another variable's value in. */
function literalValue(entry: V1EnvVar): string | undefined {
  if (entry.valueFrom !== undefined || references(entry.value ?? "").length > 0) return undefined;
  return entry.value ?? "";
}

function envProblems(supervisor: V1Container): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of supervisor.env ?? []) {
    const { name } = entry;
    if (!isOurName(name)) {
      problems.push(
        `${name} is not a variable cvm-admission sets; the privileged supervisor holds only envbox's CODER_* ` +
          `variables and names of cvm-admission's encoding`,
      );
    }
    // The kubelet keeps the last of two entries with one name: a second copy would override ours.
    if (seen.has(name)) problems.push(`${name} is defined twice`);
    seen.add(name);
    if (name !== ENV.innerEnvs && name !== ENV.mounts && name !== ENV.usrLibDir) continue;
    const value = literalValue(entry);
    if (value === undefined)
      problems.push(`${name} must be a literal value (no valueFrom, no $(...) references)`);
    else if (name === ENV.innerEnvs) problems.push(...innerEnvsProblems(value));
    else if (name === ENV.mounts) problems.push(...mountTargetProblems(value));
    // envbox bind-mounts GPU libraries from there into the CVM: only the host directory we mount.
    else if (value !== GPU_LIBRARY_PATH)
      problems.push(
        `${name} is ${JSON.stringify(value)}; cvm-admission mounts the host's libraries at ${GPU_LIBRARY_PATH}`,
      );
  }
  (supervisor.envFrom ?? []).forEach((source, i) => {
    if (envFromPrefixOf(source.prefix ?? "") === undefined) {
      problems.push(
        `envFrom[${i}] has prefix ${JSON.stringify(source.prefix ?? "")}; its keys would land in the privileged ` +
          `environment under their own names (cvm-admission writes the prefix CVM_EF<i>_)`,
      );
    }
  });
  return problems;
}

/** CODER_MOUNTS targets go through the mutation's mount rule, as the user's mountPaths did. */
function mountTargetProblems(value: string): string[] {
  const targets = decodeMountTargets(value);
  if (targets === undefined) return [`CODER_MOUNTS ${JSON.stringify(value)} is malformed (src:dst[:ro],...)`];
  const findings = newFindings();
  encodeMounts(
    targets.map((mountPath, i) => ({ name: `mount-${i}`, mountPath })),
    "CODER_MOUNTS",
    findings,
  );
  return findings.reasons;
}

function isInjectedMount(mount: V1VolumeMount, stateVolume: string | undefined): boolean {
  return injectedMounts({ stateVolume, extraCa: true, gpu: true }).some((injected) =>
    isDeepStrictEqual(injected, mount),
  );
}

/** Supervisor mounts: the injected ones exactly, the staging slots of user mounts, else the mount rule. */
function mountProblems(supervisor: V1Container, stateVolume: string | undefined): string[] {
  const problems: string[] = [];
  const others: V1VolumeMount[] = [];
  for (const mount of supervisor.volumeMounts ?? []) {
    if (isInjectedMount(mount, stateVolume) || STAGED_MOUNT.test(mount.mountPath)) continue;
    if (mount.name.startsWith(RESERVED_VOLUME_PREFIX)) {
      problems.push(
        `volume ${mount.name} is mounted at ${mount.mountPath}, not where cvm-admission mounts it`,
      );
    } else {
      others.push(mount);
    }
  }
  const findings = newFindings();
  encodeMounts(others, `${SUPERVISOR_NAME}`, findings);
  return [...problems, ...findings.reasons];
}

export const enforceSupervisorInput = validator(POD_CREATE, (ctx) => {
  const scope = podCreateInScope(ctx);
  if (scope === undefined) return allow();
  const { namespace, pod } = scope;
  const supervisor = pod?.spec?.containers?.find((c) => c.name === SUPERVISOR_NAME);
  if (supervisor === undefined) return allow();
  const stateVolume = pod?.metadata?.annotations?.[DOCKER_STATE_ANNOTATION];
  const problems = [...envProblems(supervisor), ...mountProblems(supervisor, stateVolume)];
  if (problems.length === 0) return allow();
  return deny([
    `${podRef(namespace, ctx.request.name || pod?.metadata?.name)}: the ${SUPERVISOR_NAME} container carries input that ` +
      `must never reach the privileged supervisor: ${problems.join("; ")}. cvm-admission never writes this; if the ` +
      `pod spec does not, another mutating webhook added it after cvm-admission ran: exclude CVM pods from it`,
  ]);
});
