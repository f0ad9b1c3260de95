// The user's env and envFrom in the supervisor (docs/cvm-form.md, "Env"): same order, hazard names renamed to
// CVM_ENV_<NAME>, `$(NAME)` references to renamed names rewritten so the kubelet expands them as
// before, and the CODER_INNER_ENVS tokens that copy them into the inner container.

import type { V1Container, V1EnvFromSource, V1EnvVar } from "@kubernetes/client-node";
import { ENV_NAME, isHazardName, isReservedName, isSafeEnvFromPrefix, renamedHazard } from "./env-names.js";
import { references, renameReferences } from "./expansion.js";
import type { Findings } from "./findings.js";
import { ARGV_PREFIX, CODER_AGENT_TOKEN, MAX_ENV_STRING_BYTES, RENAMED_ENV_PREFIX } from "./names.js";

export interface EncodedEnv {
  env: V1EnvVar[];
  /** User names renamed to CVM_ENV_<NAME>, in env order (the bootstrap exports them). */
  renamed: string[];
  /** envFrom prefixes, in order, without duplicates. */
  envFromPrefixes: string[];
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

/** Rewrites references to renamed hazard names (those in `renamed`). */
export function rewriteHazardReferences(value: string, renamed: ReadonlySet<string>): string {
  return renameReferences(value, (name) => (renamed.has(name) ? renamedHazard(name) : undefined));
}

/** The inverse of `rewriteHazardReferences`: users cannot write `$(CVM_ENV_...)`, so every such reference is ours. */
export function restoreHazardReferences(value: string): string {
  return renameReferences(value, (name) =>
    name.startsWith(RENAMED_ENV_PREFIX) ? name.slice(RENAMED_ENV_PREFIX.length) : undefined,
  );
}

export function encodeEnv(app: V1Container, appPath: string, findings: Findings): EncodedEnv {
  const seen = new Set<string>();
  const renamedSoFar = new Set<string>();
  const renamed: string[] = [];
  const env = (app.env ?? []).map((entry, i): V1EnvVar => {
    const { name } = entry;
    // Most entries raise nothing: the path is only spelt out for a finding.
    const pathOf = () => `${appPath}.env[${i}]`;
    const valuePathOf = () => `${pathOf()}.value`;
    if (!ENV_NAME.test(name)) {
      findings.reasons.push(
        `${pathOf()}.name: ${JSON.stringify(name)} must match ${ENV_NAME.source} to be copied into the CVM`,
      );
    } else if (isReservedName(name)) {
      findings.reasons.push(
        `${pathOf()}.name: ${name} is a reserved name (CODER_*, CVM_* belong to envbox and the CVM)`,
      );
    }
    if (seen.has(name)) findings.reasons.push(`${pathOf()}.name: ${name} is defined twice`);
    seen.add(name);
    const hazard = isHazardName(name);
    const outName = hazard ? renamedHazard(name) : name;
    let outValue = entry.value;
    if (typeof entry.value === "string") {
      rejectReservedReferences(entry.value, valuePathOf, findings);
      // The kubelet expands a value with the variables defined before it: rename only those.
      outValue = rewriteHazardReferences(entry.value, renamedSoFar);
      checkEnvStringSize(outName, outValue, valuePathOf, findings);
    }
    if (hazard && !renamedSoFar.has(name)) {
      renamedSoFar.add(name);
      renamed.push(name);
    }
    // Unchanged entries are shared, not copied: the patch skips what is the same object.
    if (outName === name && outValue === entry.value) return entry;
    return outValue === undefined
      ? { ...entry, name: outName }
      : { ...entry, name: outName, value: outValue };
  });
  const envFromPrefixes: string[] = [];
  (app.envFrom ?? []).forEach((source: V1EnvFromSource, i) => {
    const prefix = source.prefix ?? "";
    if (!isSafeEnvFromPrefix(prefix)) {
      findings.reasons.push(
        `${appPath}.envFrom[${i}].prefix: ${prefix ? JSON.stringify(prefix) : "missing"}; envFrom needs a prefix ` +
          `that no key can turn into a reserved or privileged-env name (e.g. "APP_"), because its keys are unknown at admission`,
      );
    } else if (!envFromPrefixes.includes(prefix)) {
      envFromPrefixes.push(prefix);
    }
  });
  return { env, renamed, envFromPrefixes };
}

/** CODER_INNER_ENVS: what envbox copies from the supervisor's environment into the inner container. */
export function innerEnvsValue(encoded: EncodedEnv, hasArgv: boolean): string {
  const wildcards = [...encoded.envFromPrefixes, "KUBERNETES_"];
  // No name repeats: encodeEnv denies a name defined twice.
  const tokens: string[] = [];
  for (const { name } of encoded.env) {
    if (name.startsWith(RENAMED_ENV_PREFIX) || name === CODER_AGENT_TOKEN) continue;
    // Names a wildcard already copies are left out: envbox would copy them twice.
    if (!wildcards.some((w) => name.startsWith(w))) tokens.push(name);
  }
  tokens.push(...wildcards.map((w) => `${w}*`));
  if (encoded.renamed.length > 0) tokens.push(`${RENAMED_ENV_PREFIX}*`);
  if (hasArgv) tokens.push(`${ARGV_PREFIX}*`);
  return tokens.join(",");
}
