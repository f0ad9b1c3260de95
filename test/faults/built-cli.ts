// The real `cvm-admission serve` process (dist/cli/main.js), built first when dist/ is missing or
// older than src/, so a fault test sees exactly what an operator runs: signals, exit codes, sockets.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testTlsPair } from "../support/tls.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = join(ROOT, "dist/cli/main.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource(join(ROOT, "src"))) return;
  const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

export interface CliServer {
  child: ChildProcess;
  port: number;
  ca: string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts `serve` on a free loopback port with a throwaway certificate set; `env` adds settings. */
export async function startCliServer(env: Record<string, string> = {}): Promise<CliServer> {
  const tls = await testTlsPair();
  const certsDir = mkdtempSync(join(tmpdir(), "cvm-faults-"));
  writeFileSync(join(certsDir, "ca.crt"), tls.ca);
  writeFileSync(join(certsDir, "tls.crt"), tls.cert);
  writeFileSync(join(certsDir, "tls.key"), tls.key);
  const server = await startServe(["--port", "0", "--certs-dir", certsDir], {
    CVM_ADMISSION_LOGGING_LEVEL: "warn",
    ...env,
  });
  return { ...server, ca: tls.ca };
}

/**
 * Starts `serve ARGS` on loopback with the environment plus `env`; resolves once it announces its
 * port (within `startTimeoutMs`, else it is killed), rejects if it exits before.
 */
export async function startServe(
  args: string[],
  env: Record<string, string>,
  startTimeoutMs = 20_000,
): Promise<Omit<CliServer, "ca">> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], {
    cwd: ROOT,
    env: { ...process.env, CVM_ADMISSION_SERVER_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // the caller has no handle on it yet
      reject(new Error(`serve did not start within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = () => {
      const match = output.match(/serving https:\/\/127\.0\.0\.1:(\d+)/);
      if (match) {
        clearTimeout(timer);
        child.stderr!.off("data", onData);
        resolve(Number(match[1]));
      }
    };
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before serving:\n${output}`));
    });
  });
  return { child, port, exited, output: () => output };
}
