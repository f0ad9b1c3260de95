// Runs the node-cache cases (bench/node-cache/node-cache.case.ts) in their own process: vitest
// compiles the TypeScript (the fake apiserver lives in test/support) and the process is started
// with --expose-gc so heap deltas are measured after full collections. The case writes its figures
// to a JSON file named by BENCH_NODE_CACHE_OUT.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { clearTimeout, setTimeout } from "node:timers";
import { spawn } from "node:child_process";
import { join } from "node:path";

export async function runNodeCacheCases(root, cpu, pinned) {
  const out = join(root, "bench/results/node-cache.json");
  rmSync(out, { force: true });
  const args = ["vitest", "run", "--config", "bench/node-cache/vitest.config.ts"];
  const child = spawn(pinned ? "taskset" : "npx", pinned ? ["-c", cpu, "npx", ...args] : args, {
    cwd: root,
    env: { ...process.env, BENCH_NODE_CACHE_OUT: out },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output = (output + d).slice(-6000)));
  child.stderr.on("data", (d) => (output = (output + d).slice(-6000)));
  const killer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const code = await new Promise((resolve) => child.on("close", resolve));
  clearTimeout(killer);
  if (code !== 0 || !existsSync(out))
    return { error: `node-cache case failed (${code}): ${output.slice(-1500)}` };
  return JSON.parse(readFileSync(out, "utf8"));
}
