// Which names the supervisor's environment may hold (docs/cvm-form.md, "The supervisor's
// environment"). It is the environment of envbox, dockerd and sysbox, all privileged, so it holds
// only envbox's CODER_* variables and names of our own encoding: every user variable sits under
// CVM_ENV_<NAME>, every envFrom source i under the prefix CVM_EF<i>_, each argument under
// CVM_ARGV_<k>. No user-chosen name reaches it, so no list of dangerous names is needed.

import {
  ARGV_PREFIX,
  ENVFROM_PREFIX,
  PASSTHROUGH_ENV,
  RESERVED_ENV_PREFIXES,
  USER_ENV_PREFIX,
} from "./names.js";

/** Names the bootstrap can restore: a valid shell name (no `,`, `=` or `*` for CODER_INNER_ENVS either). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** CODER_* and CVM_* belong to envbox and to us, apart from Coder's agent variables. */
export function isReservedName(name: string): boolean {
  return RESERVED_ENV_PREFIXES.some((p) => name.startsWith(p)) && !PASSTHROUGH_ENV.has(name);
}

/** The supervisor's name for the user's variable `name` (the agent's variables keep theirs: envbox reads them). */
export function encodedName(name: string): string {
  return PASSTHROUGH_ENV.has(name) ? name : USER_ENV_PREFIX + name;
}

/** The supervisor's prefix for envFrom source `index`: the user's own prefix follows it. */
export function envFromPrefix(index: number): string {
  return `${ENVFROM_PREFIX}${index}_`;
}

/** The prefix of an encoded envFrom name (`CVM_EF<i>_`), or undefined. */
export function envFromPrefixOf(name: string): string | undefined {
  return new RegExp(`^${ENVFROM_PREFIX}(0|[1-9]\\d*)_`).exec(name)?.[0];
}

/** The user's name of a variable of our encoding, or undefined when the name is not one. */
export function decodedName(name: string): string | undefined {
  if (name.startsWith(USER_ENV_PREFIX)) return name.slice(USER_ENV_PREFIX.length);
  const prefix = envFromPrefixOf(name);
  return prefix === undefined ? undefined : name.slice(prefix.length);
}

/** A name of our encoding (the user's variables, envFrom keys, arguments). */
export function isEncodedName(name: string): boolean {
  if (name.startsWith(ARGV_PREFIX)) return /^\d+$/.test(name.slice(ARGV_PREFIX.length));
  return decodedName(name) !== undefined;
}
