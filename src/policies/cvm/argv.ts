// command + args -> CVM_ARGV_<k> variables and a bootstrap script that needs no quoting
// (docs/cvm-form.md). Each argument stays a separate env value, so the kubelet applies exactly the
// `$(VAR)` expansion the original container would have had, and the script only ever names
// variables: `exec "$CVM_ARGV_0" "$CVM_ARGV_1" ...`. It contains no `$(`, so the kubelet leaves it alone.

import type { V1Container, V1EnvVar } from "@kubernetes/client-node";
import {
  checkEnvStringSize,
  rejectReservedReferences,
  restoreHazardReferences,
  rewriteHazardReferences,
} from "./env.js";
import type { Findings } from "./findings.js";
import { ARGV_PREFIX, ENV, RENAMED_ENV_PREFIX } from "./names.js";

export function argvOf(app: V1Container): string[] {
  return [...(app.command ?? []), ...(app.args ?? [])];
}

/** The CVM_ARGV_<k> variables; `renamed` are the hazard names the user's env defines (the kubelet expands args with all of them). */
export function encodeArgv(
  app: V1Container,
  appPath: string,
  renamed: readonly string[],
  findings: Findings,
): V1EnvVar[] {
  const renamedSet = new Set(renamed);
  const commandLength = app.command?.length ?? 0;
  return argvOf(app).map((arg, k) => {
    const path = k < commandLength ? `${appPath}.command[${k}]` : `${appPath}.args[${k - commandLength}]`;
    rejectReservedReferences(arg, path, findings);
    const value = rewriteHazardReferences(arg, renamedSet);
    checkEnvStringSize(`${ARGV_PREFIX}${k}`, value, path, findings);
    return { name: `${ARGV_PREFIX}${k}`, value };
  });
}

/** The inverse of `encodeArgv`: the argument list, in order. */
export function decodeArgv(env: readonly V1EnvVar[]): string[] {
  return env.map((e) => restoreHazardReferences(e.value ?? ""));
}

/** CODER_BOOTSTRAP_SCRIPT: re-export the renamed names under their own name, then exec the argv. */
export function bootstrapScript(renamed: readonly string[], argc: number): string {
  const exports = renamed.map((name) => `export ${name}="$${RENAMED_ENV_PREFIX}${name}"\n`);
  const args = Array.from({ length: argc }, (_, k) => `"$${ARGV_PREFIX}${k}"`);
  return `${exports.join("")}exec ${args.join(" ")}\n`;
}

export function argvWarnings(
  app: V1Container,
  appPath: string,
  renamed: readonly string[],
  findings: Findings,
): void {
  const argc = argvOf(app).length;
  if (argc === 0) {
    findings.warnings.push(
      `${appPath}.command: empty; the CVM ignores the image's ENTRYPOINT and CMD and runs /sbin/init ` +
        `(or sleep infinity) in the inner container: set command to start your program`,
    );
    if (renamed.length > 0) {
      findings.warnings.push(
        `${appPath}.env: ${renamed.join(", ")} reach the inner container only as ${RENAMED_ENV_PREFIX}<NAME>: ` +
          `without a command no bootstrap script exports them under their own name`,
      );
    }
    return;
  }
  if ((app.command ?? []).length === 0) {
    findings.warnings.push(
      `${appPath}.command: empty; the image's ENTRYPOINT is not used in the CVM, args[0] runs as the program`,
    );
  }
  findings.warnings.push(
    `${appPath}.command: runs detached in the CVM through ${ENV.bootstrapScript}: its exit code is not reported ` +
      `and only the first 1 KiB of its output reaches the pod log`,
  );
}
