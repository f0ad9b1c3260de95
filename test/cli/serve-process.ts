// The built `cvm-admission serve` as its own process (dist/cli/main.js, built when stale), for
// tests of what an operator sees: the banner, the first log line, exit codes and messages.

import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function spawnServe(args: string[], env: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, [join(ROOT, "dist/cli/main.js"), "serve", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      CVM_ADMISSION_SERVER_HOST: "127.0.0.1",
      CVM_ADMISSION_LOGGING_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves once `test` holds for the process's output, rejects after `ms` or when it exits first. */
export async function waitFor(serve: ServeProcess, test: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  void serve.exited.then(() => (exited = true));
  while (!test()) {
    if (exited || Date.now() > deadline)
      throw new Error(`serve: condition not met\nstdout:\n${serve.stdout()}\nstderr:\n${serve.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
