// The envbox form (docs/cvm-form.md): the user's app container becomes the inner container of a
// privileged `cvm-supervisor` running envbox, in the app container's place. Everything the inner
// container needs travels in the supervisor's env, in a fixed order:
//   CODER_* header (image, user, work dir, hostname, limits, pull secret, docker config, options,
//   extra CA, GPU, mounts, inner envs)
//   the user's env (as CVM_ENV_<NAME>)  CVM_ARGV_<k>  CODER_BOOTSTRAP_SCRIPT
// derive.ts (beside this file) reads the same layout back.

import type { V1Container, V1EnvVar, V1Pod, V1PodSpec } from "@kubernetes/client-node";
import type { Config } from "../../../../config/config.js";
import { addEligibilityAffinity } from "../../../nodes/affinity.js";
import { selectAppContainer } from "../../app-container.js";
import { argvWarnings, encodeArgv } from "../../argv.js";
import { bootstrapScript } from "../../bootstrap.js";
import { renameContainerReferences } from "../../container-refs.js";
import { dockerStateVolume } from "../../docker-state.js";
import { checkEnvStringSize, checkEnvTotal, encodeEnv, innerEnvsValue } from "../../env.js";
import { escapeLiteral } from "../../expansion.js";
import { newFindings, type Findings } from "../../findings.js";
import { extraCaConfigMap, featureEnv } from "../../features.js";
import { gpuAsked, gpuEnv } from "../../gpu.js";
import { hostnameEnv } from "../../hostname.js";
import { EXTRA_CA_PATH, injectedMounts, injectedVolumes } from "../../injected-volumes.js";
import { innerUsername } from "../../inner-user.js";
import { encodeMounts } from "../../mounts.js";
import {
  DEFAULT_TERMINATION_GRACE_SECONDS,
  ENV,
  ENVBOX_COMMAND,
  MIN_TERMINATION_GRACE_SECONDS,
  SUPERVISOR_NAME,
} from "../../names.js";
import { pullSecretEnv, withSupervisorSecrets } from "../../pull-secrets.js";
import { rejectContainerFields, rejectPodFields, supervisorLifecycle } from "../../rejects.js";
import { checkResources, limitEnv } from "../../resources.js";
import { denied, markMutated, type TransformResult } from "../../transform-result.js";

/**
 * Service links: the kubelet names them after the namespace's Services, unknown here, and
 * CODER_INNER_ENVS can only copy names by prefix. Rather than copy names nobody chose into the
 * CVM, the pod gets none; Services are found through DNS.
 */
function disableServiceLinks(spec: V1PodSpec, findings: Findings): void {
  if (spec.enableServiceLinks === false) return;
  spec.enableServiceLinks = false;
  findings.warnings.push(
    `spec.enableServiceLinks: set to false; Service variables (<NAME>_SERVICE_HOST, <NAME>_PORT, ...) cannot be ` +
      `carried into the CVM: reach Services by DNS name (<service>.<namespace>.svc)`,
  );
}

/** The supervisor: fixed fields, plus what the kubelet must still do for the user's container. */
function supervisor(
  app: V1Container,
  env: V1EnvVar[],
  mounts: V1Container["volumeMounts"],
  config: Config,
  envFrom: V1Container["envFrom"],
): V1Container {
  const c: V1Container = {
    name: SUPERVISOR_NAME,
    image: config.supervisor.image,
    command: [...ENVBOX_COMMAND],
    env,
  };
  if (envFrom) c.envFrom = envFrom;
  if (app.resources) c.resources = app.resources;
  c.volumeMounts = mounts;
  if (app.ports) c.ports = app.ports;
  const lifecycle = supervisorLifecycle(app);
  if (lifecycle) c.lifecycle = lifecycle;
  // The apiserver's defaults, spelt out so a re-invocation sees exactly what we produced.
  c.terminationMessagePath = "/dev/termination-log";
  c.terminationMessagePolicy = "File";
  c.imagePullPolicy = config.supervisor.imagePullPolicy;
  c.securityContext = { privileged: true };
  return c;
}

export function transformEnvbox(input: V1Pod, config: Config): TransformResult {
  const findings = newFindings();
  if (!input.spec || !Array.isArray(input.spec.containers))
    return denied({ reasons: ["spec.containers: required"], warnings: [] });
  // Copy-on-write: the pod, its metadata and spec are ours; everything below them is shared with
  // the input and replaced where it changes, never written. Unchanged parts stay the same objects,
  // which also lets the patch diff skip them.
  const spec: V1PodSpec = { ...input.spec };
  const pod: V1Pod = { ...input, metadata: { ...input.metadata }, spec };
  rejectPodFields(pod, findings);
  const index = selectAppContainer(pod, findings);
  if (index === undefined) return denied(findings);
  const app = spec.containers[index]!;
  const path = `spec.containers[${index}]`;
  rejectContainerFields(app, path, findings);
  checkResources(app.resources, path, config.supervisor.gpu.resourceNames, findings);
  const gpu = gpuAsked(app.resources, path, config, findings);
  const annotations = pod.metadata?.annotations;
  const username = innerUsername(app, path, spec.securityContext, annotations, findings);
  const env = encodeEnv(app, path, findings);
  const argv = encodeArgv(app, path, env, findings);
  argvWarnings(app, path, findings);
  const mounts = encodeMounts(app.volumeMounts ?? [], path, findings, spec.volumes ?? []);
  const stateVolume = dockerStateVolume(pod, findings);
  const caConfigMap = extraCaConfigMap(annotations, config, findings);
  const userSecrets = spec.imagePullSecrets ?? [];
  const header: V1EnvVar[] = [
    { name: ENV.innerImage, value: escapeLiteral(app.image ?? "") },
    { name: ENV.innerUsername, value: username },
    ...(app.workingDir ? [{ name: ENV.innerWorkDir, value: escapeLiteral(app.workingDir) }] : []),
    hostnameEnv(pod, findings),
    ...limitEnv(app.resources, path, findings),
    ...pullSecretEnv(userSecrets, annotations, "spec.imagePullSecrets", findings),
    ...featureEnv(annotations, config, findings),
    ...(caConfigMap ? [{ name: ENV.extraCertsPath, value: EXTRA_CA_PATH }] : []),
    ...(gpu ? gpuEnv() : []),
    ...(mounts.value === undefined ? [] : [{ name: ENV.mounts, value: mounts.value }]),
    { name: ENV.innerEnvs, value: innerEnvsValue(env, argv.length) },
  ];
  const script = bootstrapScript(env.envFrom?.length ?? 0, argv.length);
  const allEnv = header.concat(env.env, argv, [{ name: ENV.bootstrapScript, value: script }]); // concat, not spread: 1,700 entries for the 100 KB pod
  checkEnvStringSize(ENV.bootstrapScript, script, `${path}.command`, findings);
  checkEnvTotal(allEnv, path, findings);
  if (findings.reasons.length > 0) return denied(findings);

  spec.containers = spec.containers.with(
    index,
    supervisor(
      app,
      allEnv,
      [
        ...mounts.supervisorMounts,
        ...injectedMounts({ stateVolume, extraCa: caConfigMap !== undefined, gpu }),
      ],
      config,
      env.envFrom,
    ),
  );
  // In front: volumes a later webhook appends (Istio) then stay behind the user's.
  spec.volumes = [...injectedVolumes(config, { stateVolume, caConfigMap, gpu }), ...(spec.volumes ?? [])];
  disableServiceLinks(spec, findings);
  const secrets = withSupervisorSecrets(userSecrets, config);
  if (secrets.length > 0) spec.imagePullSecrets = secrets;
  // The pod-level user would apply to the supervisor, which must run as root: it went into CODER_INNER_USERNAME.
  if (spec.securityContext) {
    const { runAsUser: _user, runAsNonRoot: _nonRoot, runAsGroup: _group, ...rest } = spec.securityContext;
    spec.securityContext = rest;
  }
  // envbox waits up to 90 s for the bootstrap process on SIGTERM.
  spec.terminationGracePeriodSeconds = Math.max(
    spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS,
    MIN_TERMINATION_GRACE_SECONDS,
  );
  addEligibilityAffinity(spec, config);
  renameContainerReferences(pod, app.name, SUPERVISOR_NAME);
  markMutated(pod, "envbox");
  return { allowed: true, pod, warnings: findings.warnings };
}
