// The inverse of the envbox form (docs/cvm-form.md, "Proof of the form"): reads the user's pod back out of the supervisor.
// It need not be the user's literal pod (the app container's name, the command/args split and
// fields the transform drops are gone), only one that the transform turns into the same pod:
// re-running the transform on it is how a claimed CVM form is proved (derive.ts).

import type { V1Container, V1EnvVar, V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../../../config/config.js";
import { removeEligibilityAffinity } from "../../../nodes/affinity.js";
import { decodeArgv } from "../../argv.js";
import { renameContainerReferences } from "../../container-refs.js";
import { restoreReferences } from "../../env.js";
import { decodedName, envFromPrefixOf } from "../../env-names.js";
import { unescapeLiteral } from "../../expansion.js";
import { securityContextFor } from "../../inner-user.js";
import { decodeMountTargets } from "../../mounts.js";
import {
  ARGV_PREFIX,
  DERIVED_APP_NAME,
  ENV,
  HEADER_ENV_ORDER,
  INNER_USER_ANNOTATION,
  PULL_SECRET_ANNOTATION,
  RESERVED_VOLUME_PREFIX,
  SUPERVISOR_NAME,
} from "../../names.js";
import { userSecrets } from "../../pull-secrets.js";
import { unmarkMutated } from "../../transform-result.js";
import type { Derived } from "../form.js";

interface SupervisorEnv {
  header: Map<string, V1EnvVar>;
  user: V1EnvVar[];
  argv: V1EnvVar[];
}

/** Splits the supervisor env into its three sections (transform.ts lists the layout). */
function splitEnv(env: readonly V1EnvVar[]): SupervisorEnv {
  const header = new Map<string, V1EnvVar>();
  let start = 0;
  while (start < env.length && HEADER_ENV_ORDER.includes(env[start]!.name) && !header.has(env[start]!.name)) {
    header.set(env[start]!.name, env[start]!);
    start++;
  }
  let end = env.length;
  if (env[end - 1]?.name === ENV.bootstrapScript) end--;
  let argvStart = end;
  while (argvStart > start && env[argvStart - 1]!.name.startsWith(ARGV_PREFIX)) argvStart--;
  return { header, user: env.slice(start, argvStart), argv: env.slice(argvStart, end) };
}

function userEnv(entry: V1EnvVar): V1EnvVar {
  const out: V1EnvVar = { ...entry, name: decodedName(entry.name) ?? entry.name };
  if (entry.value !== undefined) out.value = restoreReferences(entry.value);
  return out;
}

/** The user's envFrom: each prefix without our CVM_EF<i>_ (a source without one re-encodes the same). */
function userEnvFrom(supervisor: V1Container): V1Container["envFrom"] {
  return supervisor.envFrom?.map((source) => {
    const { prefix = "", ...rest } = source;
    const ours = envFromPrefixOf(prefix) ?? "";
    return prefix.length > ours.length ? { ...rest, prefix: prefix.slice(ours.length) } : rest;
  });
}

function appContainer(
  supervisor: V1Container,
  env: SupervisorEnv,
  namedUser: boolean,
  reasons: string[],
): V1Container {
  const literal = (name: string) => {
    const value = env.header.get(name)?.value;
    return value === undefined ? undefined : unescapeLiteral(value);
  };
  const app: V1Container = { name: DERIVED_APP_NAME, image: literal(ENV.innerImage) ?? "" };
  if (!env.header.has(ENV.innerImage)) reasons.push(`${ENV.innerImage} is missing`);
  const argv = decodeArgv(env.argv);
  if (argv.length > 0) app.command = argv;
  const workingDir = literal(ENV.innerWorkDir);
  if (workingDir !== undefined) app.workingDir = workingDir;
  if (env.user.length > 0) app.env = env.user.map(userEnv);
  if (supervisor.envFrom) app.envFrom = userEnvFrom(supervisor);
  if (supervisor.resources) app.resources = supervisor.resources;
  const mountsValue = env.header.get(ENV.mounts)?.value;
  const targets = mountsValue === undefined ? [] : decodeMountTargets(mountsValue);
  if (!targets) reasons.push(`${ENV.mounts} is malformed`);
  const mounts = (supervisor.volumeMounts ?? []).slice(0, targets?.length ?? 0);
  if (mounts.length > 0) app.volumeMounts = mounts.map((m, i) => ({ ...m, mountPath: targets![i]! }));
  if (supervisor.ports) app.ports = supervisor.ports;
  if (supervisor.lifecycle) app.lifecycle = supervisor.lifecycle;
  // A user named by the annotation comes back from the annotation, which the pod keeps.
  const securityContext = namedUser
    ? undefined
    : securityContextFor(env.header.get(ENV.innerUsername)?.value ?? "");
  if (securityContext === null) reasons.push(`${ENV.innerUsername} is neither root nor a UID`);
  else if (securityContext) app.securityContext = securityContext;
  return app;
}

export function deriveEnvbox(input: V1Pod, config: Config): Derived {
  const pod = structuredClone(input);
  const spec = pod.spec;
  const index = spec?.containers?.findIndex((c) => c.name === SUPERVISOR_NAME) ?? -1;
  if (!spec || index < 0) return { reasons: [`no ${SUPERVISOR_NAME} container`] };
  renameContainerReferences(pod, SUPERVISOR_NAME, DERIVED_APP_NAME);
  const supervisor = spec.containers[index]!;
  const env = splitEnv(supervisor.env ?? []);
  const reasons: string[] = [];
  const annotations = pod.metadata?.annotations ?? {};
  spec.containers[index] = appContainer(supervisor, env, INNER_USER_ANNOTATION in annotations, reasons);
  const volumes = (spec.volumes ?? []).filter((v) => !v.name.startsWith(RESERVED_VOLUME_PREFIX));
  if (volumes.length > 0) spec.volumes = volumes;
  else delete spec.volumes;
  // With the annotation the chosen secret need not be the first of the user's.
  const firstSecret =
    PULL_SECRET_ANNOTATION in annotations
      ? undefined
      : env.header.get(ENV.imagePullSecret)?.valueFrom?.secretKeyRef?.name;
  const secrets = userSecrets(spec.imagePullSecrets ?? [], firstSecret, config);
  if (secrets.length > 0) spec.imagePullSecrets = secrets;
  else delete spec.imagePullSecrets;
  removeEligibilityAffinity(spec, config);
  unmarkMutated(pod);
  return reasons.length > 0 ? { reasons } : { pod, reasons: [] };
}
