// Names the CVM transform owns: the supervisor, its annotations, env variables, paths and volumes.
// Every other module takes them from here so the transform and its inverse cannot drift apart.

export const SUPERVISOR_NAME = "cvm-supervisor";
/** The name the inverse gives the user's container: the original name is not kept (any name re-derives the same pod). */
export const DERIVED_APP_NAME = "app";

export const MUTATED_ANNOTATION = "cvm.dev/mutated";
export const MUTATED_VERSION = "v1";
export const FORM_ANNOTATION = "cvm.dev/form";
/** Names the pull secret (one of spec.imagePullSecrets) envbox pulls the inner image with. */
export const PULL_SECRET_ANNOTATION = "cvm.dev/image-pull-secret";
/** Names the pod volume that keeps the inner Docker state (/var/lib/coder/{docker,containers}). */
export const DOCKER_STATE_ANNOTATION = "cvm.dev/docker-state-volume";
/** Names the inner user (a name in the image's /etc/passwd) instead of a numeric runAsUser. */
export const INNER_USER_ANNOTATION = "cvm.dev/inner-user";
/** envbox's switches (features.ts). */
export const TUN_ANNOTATION = "cvm.dev/tun";
export const FUSE_ANNOTATION = "cvm.dev/fuse";
export const IDMAPPED_ANNOTATION = "cvm.dev/disable-idmapped-mount";
export const BRIDGE_CIDR_ANNOTATION = "cvm.dev/docker-bridge-cidr";
/** Names a ConfigMap whose key ca.crt envbox trusts for the inner image's registry. */
export const EXTRA_CA_ANNOTATION = "cvm.dev/extra-ca-configmap";
export const EXTRA_CA_KEY = "ca.crt";
/** Annotations only the envbox form reads: the runtimeclass form warns that they do nothing. */
export const ENVBOX_ANNOTATIONS: readonly string[] = [
  PULL_SECRET_ANNOTATION,
  DOCKER_STATE_ANNOTATION,
  INNER_USER_ANNOTATION,
  TUN_ANNOTATION,
  FUSE_ANNOTATION,
  IDMAPPED_ANNOTATION,
  BRIDGE_CIDR_ANNOTATION,
  EXTRA_CA_ANNOTATION,
];
export const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

export const ENVBOX_COMMAND: readonly string[] = ["/envbox", "docker"];

/** Supervisor variables read by envbox, in the order the supervisor env lists them (before the user's env). */
export const ENV = {
  innerImage: "CODER_INNER_IMAGE",
  innerUsername: "CODER_INNER_USERNAME",
  innerWorkDir: "CODER_INNER_WORK_DIR",
  innerHostname: "CODER_INNER_HOSTNAME",
  cpus: "CODER_CPUS",
  memory: "CODER_MEMORY",
  imagePullSecret: "CODER_IMAGE_PULL_SECRET",
  dockerConfig: "CODER_DOCKER_CONFIG",
  addTun: "CODER_ADD_TUN",
  addFuse: "CODER_ADD_FUSE",
  disableIdmappedMount: "CODER_DISABLE_IDMAPPED_MOUNT",
  dockerBridgeCIDR: "CODER_DOCKER_BRIDGE_CIDR",
  extraCertsPath: "CODER_EXTRA_CERTS_PATH",
  addGpu: "CODER_ADD_GPU",
  usrLibDir: "CODER_USR_LIB_DIR",
  mounts: "CODER_MOUNTS",
  innerEnvs: "CODER_INNER_ENVS",
  bootstrapScript: "CODER_BOOTSTRAP_SCRIPT",
} as const;
export const HEADER_ENV_ORDER: readonly string[] = [
  ENV.innerImage,
  ENV.innerUsername,
  ENV.innerWorkDir,
  ENV.innerHostname,
  ENV.cpus,
  ENV.memory,
  ENV.imagePullSecret,
  ENV.dockerConfig,
  ENV.addTun,
  ENV.addFuse,
  ENV.disableIdmappedMount,
  ENV.dockerBridgeCIDR,
  ENV.extraCertsPath,
  ENV.addGpu,
  ENV.usrLibDir,
  ENV.mounts,
  ENV.innerEnvs,
];

export const ARGV_PREFIX = "CVM_ARGV_";
/** The user's variables in the supervisor: CVM_ENV_<NAME>. */
export const USER_ENV_PREFIX = "CVM_ENV_";
/** envFrom source i in the supervisor: prefix CVM_EF<i>_ followed by the user's prefix. */
export const ENVFROM_PREFIX = "CVM_EF";
/** The master Service's variables the kubelet gives every container: copied into the CVM as they are. */
export const KUBERNETES_SERVICE_PREFIX = "KUBERNETES_";
export const RESERVED_ENV_PREFIXES: readonly string[] = ["CODER_", "CVM_"];
/** Coder's agent variables: they reach envbox as Coder's own template sets them (docs/cvm-form.md, "Env"). */
export const CODER_AGENT_TOKEN = "CODER_AGENT_TOKEN";
export const CODER_AGENT_URL = "CODER_AGENT_URL";
export const PASSTHROUGH_ENV: ReadonlySet<string> = new Set([CODER_AGENT_TOKEN, CODER_AGENT_URL]);

export const RESERVED_VOLUME_PREFIX = "cvm-";
/** Where user mounts that envbox need not chown to the inner user sit inside the supervisor. */
export const MOUNT_STAGING_DIR = "/var/lib/cvm/mounts";
/**
 * CODER_DOCKER_CONFIG: a file envbox reads pull credentials from, which would replace the pull
 * secret's. It points under /var/lib/cvm, where no user mount may land and nothing is ever written,
 * so only CODER_IMAGE_PULL_SECRET counts (envbox's default, /root/.docker/config.json, a user
 * volume at /root could provide).
 */
export const DOCKER_CONFIG_PATH = "/var/lib/cvm/docker-config.json";
/**
 * CODER_USR_LIB_DIR: where the host's library directory (supervisor.gpu.hostLibraryDir) is mounted
 * in the supervisor for envbox to find the GPU libraries in. Under /var/lib/cvm, where no user
 * mount may land, and away from the supervisor's own libraries, which it must not cover.
 */
export const GPU_LIBRARY_PATH = "/var/lib/cvm/host-usr-lib";
export const SERVICE_ACCOUNT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Linux MAX_ARG_STRLEN (32 pages of 4 KiB): the longest "NAME=value" string exec accepts. */
export const MAX_ENV_STRING_BYTES = 32 * 4096;
/**
 * The literal part of the supervisor's environment at most: exec takes 2 MiB of strings (a quarter
 * of the default 8 MiB stack) and the kubelet adds valueFrom values and Service variables to ours.
 */
export const MAX_ENV_TOTAL_BYTES = 1024 * 1024;

export const MIN_TERMINATION_GRACE_SECONDS = 100;
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
