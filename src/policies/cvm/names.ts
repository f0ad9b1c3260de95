// Names the CVM transform owns: the supervisor, its annotations, env variables, paths and volumes.
// Every other module takes them from here so the transform and its inverse cannot drift apart.

export const SUPERVISOR_NAME = "cvm-supervisor";
/** The name the inverse gives the user's container: the original name is not kept (any name re-derives the same pod). */
export const DERIVED_APP_NAME = "app";

export const MUTATED_ANNOTATION = "cvm.dev/mutated";
export const MUTATED_VERSION = "v1";
export const FORM_ANNOTATION = "cvm.dev/form";
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
  ENV.mounts,
  ENV.innerEnvs,
];

export const ARGV_PREFIX = "CVM_ARGV_";
export const RENAMED_ENV_PREFIX = "CVM_ENV_";
export const RESERVED_ENV_PREFIXES: readonly string[] = ["CODER_", "CVM_"];
/** Coder's agent variables: they reach envbox as Coder's own template sets them (docs/cvm-form.md, "Env"). */
export const CODER_AGENT_TOKEN = "CODER_AGENT_TOKEN";
export const CODER_AGENT_URL = "CODER_AGENT_URL";
export const PASSTHROUGH_ENV: ReadonlySet<string> = new Set([CODER_AGENT_TOKEN, CODER_AGENT_URL]);

export const RESERVED_VOLUME_PREFIX = "cvm-";
/** Where user mounts that envbox need not chown to the inner user sit inside the supervisor. */
export const MOUNT_STAGING_DIR = "/var/lib/cvm/mounts";
export const SERVICE_ACCOUNT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Linux MAX_ARG_STRLEN (32 pages of 4 KiB): the longest "NAME=value" string exec accepts. */
export const MAX_ENV_STRING_BYTES = 32 * 4096;

export const MIN_TERMINATION_GRACE_SECONDS = 100;
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
