// The user's env and envFrom in the supervisor (docs/cvm-form.md, "The supervisor's environment"):
// same order and values, every name encoded (env.name -> CVM_ENV_<NAME>, envFrom source i ->
// prefix CVM_EF<i>_<prefix>), `$(NAME)` references rewritten to the encoded names so the kubelet
// expands them as it would have, and the CODER_INNER_ENVS tokens that copy them into the inner
// container, where the bootstrap (bootstrap.ts) gives them their own names back.

import type { V1Container, V1EnvFromSource, V1EnvVar } from "@kubernetes/client-node";
import { decodedName, encodedName, ENV_NAME, envFromPrefix, isReservedName } from "./env-names.js";
import { references, renameReferences } from "./expansion.js";
import type { Findings } from "./findings.js";
import {
  ARGV_PREFIX,
  CODER_AGENT_URL,
  KUBERNETES_SERVICE_PREFIX,
  MAX_ENV_STRING_BYTES,
  MAX_ENV_TOTAL_BYTES,
  USER_ENV_PREFIX,
} from "./names.js";

export interface EncodedEnv {
  env: V1EnvVar[];
  /** The supervisor's envFrom (each source's prefix encoded), undefined when the user has none. */
  envFrom: V1EnvFromSource[] | undefined;
  /** Renames a reference in command/args, which the kubelet expands with the whole environment. */
  renameInArgv: (name: string) => string | undefined;
}

/** Where a finding is: a string, or made only when there is one (per env var, the common case is none). */
export type FindingPath = string | (() => string);
const spelt = (path: FindingPath): string => (typeof path === "string" ? path : path());

/** Denies `$(NAME)` references to our and envbox's variables: the original pod would have left them literal. */
export function rejectReservedReferences(value: string, path: FindingPath, findings: Findings): void {
  for (const name of references(value)) {
    if (isReservedName(name)) {
      findings.reasons.push(
        `${spelt(path)}: references $(${name}), a reserved name (CODER_*, CVM_*) the CVM defines itself`,
      );
    }
  }
}

export function checkEnvStringSize(name: string, value: string, path: FindingPath, findings: Findings): void {
  // "NAME=value\0" in UTF-8: at most 3 bytes per UTF-16 unit, so short strings need no count.
  const atMost = (name.length + value.length + 1) * 3 + 1;
  if (atMost > MAX_ENV_STRING_BYTES && Buffer.byteLength(`${name}=${value}`) + 1 > MAX_ENV_STRING_BYTES) {
    findings.reasons.push(
      `${spelt(path)}: longer than ${MAX_ENV_STRING_BYTES} bytes, the most exec accepts for one variable`,
    );
  }
}

/** The literal part of the supervisor's environment stays within MAX_ENV_TOTAL_BYTES (exec's ARG_MAX). */
export function checkEnvTotal(env: readonly V1EnvVar[], path: string, findings: Findings): void {
  let total = 0;
  for (const e of env) total += e.name.length + (e.value?.length ?? 0) + 2;
  if (total * 3 <= MAX_ENV_TOTAL_BYTES) return;
  total = env.reduce((sum, e) => sum + Buffer.byteLength(`${e.name}=${e.value ?? ""}`) + 1, 0);
  if (total > MAX_ENV_TOTAL_BYTES) {
    findings.reasons.push(
      `${path}: the CVM's environment would hold ${total} bytes of literal values and command line; at most ` +
        `${MAX_ENV_TOTAL_BYTES} fit beside what the kubelet adds (exec refuses more than 2 MiB): move large values ` +
        `into a mounted ConfigMap or Secret`,
    );
  }
}

/** The inverse of the reference renaming: users cannot write `$(CVM_...)`, so every such reference is ours. */
export function restoreReferences(value: string): string {
  return renameReferences(value, decodedName);
}

/**
 * Renames a reference the kubelet resolves from the variables in `defined` (encoded) or else from
 * an envFrom source whose prefix matches (the last such source, as the kubelet's map keeps the
 * last); `$(KUBERNETES_...)` and other names stay: the kubelet resolves them from Services.
 */
function renamer(
  defined: ReadonlySet<string>,
  prefixes: readonly string[],
  onEnvFrom: (name: string, index: number) => void,
): (name: string) => string | undefined {
  return (name) => {
    if (defined.has(name)) return encodedName(name);
    if (name.startsWith(KUBERNETES_SERVICE_PREFIX)) return undefined;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      if (name.startsWith(prefixes[i]!)) {
        onEnvFrom(name, i);
        return envFromPrefix(i) + name;
      }
    }
    return undefined;
  };
}

function encodeEnvFrom(app: V1Container, appPath: string, findings: Findings): string[] {
  return (app.envFrom ?? []).map((source, i) => {
    const prefix = source.prefix ?? "";
    if (prefix !== "" && !ENV_NAME.test(prefix)) {
      findings.reasons.push(
        `${appPath}.envFrom[${i}].prefix: ${JSON.stringify(prefix)} must be empty or match ${ENV_NAME.source}: ` +
          `the CVM restores the keys as shell variables`,
      );
    }
    return prefix;
  });
}

export function encodeEnv(app: V1Container, appPath: string, findings: Findings): EncodedEnv {
  const prefixes = encodeEnvFrom(app, appPath, findings);
  const warnEnvFrom = (path: FindingPath) => (name: string, index: number) =>
    findings.warnings.push(
      `${spelt(path)}: $(${name}) is read from ${appPath}.envFrom[${index}]; when that source has no such key it stays ` +
        `"$(${envFromPrefix(index)}${name})" rather than "$(${name})"`,
    );
  const defined = new Set<string>();
  const env = (app.env ?? []).map((entry, i): V1EnvVar => {
    const { name } = entry;
    // Most entries raise nothing: the path is only spelt out for a finding.
    const pathOf = () => `${appPath}.env[${i}]`;
    const valuePathOf = () => `${pathOf()}.value`;
    if (!ENV_NAME.test(name)) {
      findings.reasons.push(
        `${pathOf()}.name: ${JSON.stringify(name)} must match ${ENV_NAME.source} to be restored in the CVM`,
      );
    } else if (isReservedName(name)) {
      findings.reasons.push(
        `${pathOf()}.name: ${name} is a reserved name (CODER_*, CVM_* belong to envbox and the CVM)`,
      );
    }
    if (defined.has(name)) findings.reasons.push(`${pathOf()}.name: ${name} is defined twice`);
    const outName = encodedName(name);
    let outValue = entry.value;
    if (typeof entry.value === "string") {
      rejectReservedReferences(entry.value, valuePathOf, findings);
      // The kubelet expands a value with the variables defined before it (and every envFrom key).
      outValue = renameReferences(
        entry.value,
        renamer(
          defined,
          prefixes,
          warnEnvFrom(() => `${valuePathOf()} (${name})`),
        ),
      );
      checkEnvStringSize(outName, outValue, valuePathOf, findings);
    }
    defined.add(name);
    return outValue === undefined
      ? { ...entry, name: outName }
      : { ...entry, name: outName, value: outValue };
  });
  const envFrom = app.envFrom?.map((source, i) => ({ ...source, prefix: envFromPrefix(i) + prefixes[i] }));
  const argvPath = `${appPath}.command`;
  return { env, envFrom, renameInArgv: renamer(defined, prefixes, warnEnvFrom(argvPath)) };
}

/** CODER_INNER_ENVS: what envbox copies from the supervisor's environment into the inner container. */
export function innerEnvsValue(encoded: EncodedEnv, argc: number): string {
  const tokens: string[] = [];
  // CODER_AGENT_TOKEN needs no token: envbox always copies it.
  if (encoded.env.some((e) => e.name === CODER_AGENT_URL)) tokens.push(CODER_AGENT_URL);
  tokens.push(`${KUBERNETES_SERVICE_PREFIX}*`);
  encoded.envFrom?.forEach((_, i) => tokens.push(`${envFromPrefix(i)}*`));
  if (encoded.env.some((e) => e.name.startsWith(USER_ENV_PREFIX))) tokens.push(`${USER_ENV_PREFIX}*`);
  if (argc > 0) tokens.push(`${ARGV_PREFIX}*`);
  return tokens.join(",");
}
