// Runs the node-cache cases (bench/node-cache/node-cache.case.ts) through vitest, which compiles
// the TypeScript fake apiserver of test/support; the case starts the view in a process of its own
// and writes its figures to a JSON file named by BENCH_NODE_CACHE_OUT.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { clearTimeout, setTimeout } from "node:timers";
import { spawn } from "node:child_process";
import { join } from "node:path";

/** The fake apiserver (this case) runs on `clientCpu`, the view's own process on `serverCpu`. */
export async function runNodeCacheCases(root, { serverCpu, clientCpu, pinned }) {
  const out = join(root, "bench/results/node-cache.json");
  rmSync(out, { force: true });
  const args = ["vitest", "run", "--config", "bench/node-cache/vitest.config.ts"];
  const child = spawn(pinned ? "taskset" : "npx", pinned ? ["-c", clientCpu, "npx", ...args] : args, {
    cwd: root,
    env: { ...process.env, BENCH_NODE_CACHE_OUT: out, ...(pinned ? { BENCH_VIEW_CPU: serverCpu } : {}) },
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
