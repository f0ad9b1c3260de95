// Which environment variable names the supervisor may carry as they are (docs/cvm-form.md, "Env").
// The supervisor's env is the environment of envbox, dockerd and sysbox, all privileged: names
// that steer them (loader, shell, proxy, Go runtime, docker client) are renamed to CVM_ENV_<NAME>
// and exported again by the bootstrap script, so only the user's process sees them.

import { PASSTHROUGH_ENV, RENAMED_ENV_PREFIX, RESERVED_ENV_PREFIXES } from "./names.js";

/** Names CODER_INNER_ENVS can list: no `,`, `=` or trailing `*`, and a valid shell name for the export lines. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const HAZARD_NAMES: ReadonlySet<string> = new Set([
  "PATH",
  "HOME",
  "SHELL",
  "ENV",
  "BASH_ENV",
  "IFS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "TMPDIR",
  "GODEBUG",
  "GOTRACEBACK",
  "GOMAXPROCS",
  "GOGC",
  "GOMEMLIMIT",
]);
/** Matched in any case: Go's and curl's proxy lookups read both spellings. */
const HAZARD_NAMES_ANY_CASE: ReadonlySet<string> = new Set(["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]);
const LONGEST_ANY_CASE = Math.max(...[...HAZARD_NAMES_ANY_CASE].map((n) => n.length));
const HAZARD_PREFIXES: readonly string[] = ["LD_", "DOCKER_", "SYSBOX_"];

export function isHazardName(name: string): boolean {
  return (
    HAZARD_NAMES.has(name) ||
    // The length check spares upper-casing every name (this runs once per env var).
    (name.length <= LONGEST_ANY_CASE && HAZARD_NAMES_ANY_CASE.has(name.toUpperCase())) ||
    HAZARD_PREFIXES.some((p) => name.startsWith(p))
  );
}

/** CODER_* and CVM_* belong to envbox and to us, apart from Coder's agent variables. */
export function isReservedName(name: string): boolean {
  return RESERVED_ENV_PREFIXES.some((p) => name.startsWith(p)) && !PASSTHROUGH_ENV.has(name);
}

export function renamedHazard(name: string): string {
  return RENAMED_ENV_PREFIX + name;
}

/**
 * An envFrom prefix is safe when no key appended to it can form a hazard or reserved name:
 * the keys are unknown at admission and land unfiltered in the privileged supervisor.
 */
export function isSafeEnvFromPrefix(prefix: string): boolean {
  if (!ENV_NAME.test(prefix)) return false;
  const upper = prefix.toUpperCase();
  const exact = [...HAZARD_NAMES, ...HAZARD_NAMES_ANY_CASE, ...PASSTHROUGH_ENV];
  const prefixes = [...HAZARD_PREFIXES, ...RESERVED_ENV_PREFIXES];
  // Case-insensitive on purpose: stricter than needed for the case-sensitive names, never looser.
  if (exact.some((n) => n.toUpperCase().startsWith(upper))) return false;
  return !prefixes.some((p) => upper.startsWith(p) || p.startsWith(upper));
}
