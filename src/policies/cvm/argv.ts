// command + args -> CVM_ARGV_<k> variables (docs/cvm-form.md, "The command"). Each argument stays
// a separate env value, so the kubelet applies exactly the `$(VAR)` expansion the original
// container would have had (references renamed to the encoded names), and the bootstrap
// (bootstrap.ts) only ever names variables: `set -- "$CVM_ARGV_0" ...; exec "$@"`.

import type { V1Container, V1EnvVar } from "@kubernetes/client-node";
import { checkEnvStringSize, rejectReservedReferences, restoreReferences, type EncodedEnv } from "./env.js";
import { renameReferences } from "./expansion.js";
import type { Findings } from "./findings.js";
import { ARGV_PREFIX, ENV } from "./names.js";

export function argvOf(app: V1Container): string[] {
  return [...(app.command ?? []), ...(app.args ?? [])];
}

/** The CVM_ARGV_<k> variables: the kubelet expands command and args with the container's whole environment. */
export function encodeArgv(
  app: V1Container,
  appPath: string,
  env: EncodedEnv,
  findings: Findings,
): V1EnvVar[] {
  const commandLength = app.command?.length ?? 0;
  return argvOf(app).map((arg, k) => {
    const path = k < commandLength ? `${appPath}.command[${k}]` : `${appPath}.args[${k - commandLength}]`;
    rejectReservedReferences(arg, path, findings);
    const value = renameReferences(arg, env.renameInArgv);
    checkEnvStringSize(`${ARGV_PREFIX}${k}`, value, path, findings);
    return { name: `${ARGV_PREFIX}${k}`, value };
  });
}

/** The inverse of `encodeArgv`: the argument list, in order. */
export function decodeArgv(env: readonly V1EnvVar[]): string[] {
  return env.map((e) => restoreReferences(e.value ?? ""));
}

export function argvWarnings(app: V1Container, appPath: string, findings: Findings): void {
  const argc = argvOf(app).length;
  if (argc === 0) {
    findings.warnings.push(
      `${appPath}.command: empty; the CVM ignores the image's ENTRYPOINT and CMD and runs /sbin/init ` +
        `(or sleep infinity) in the inner container: set command to start your program`,
    );
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
