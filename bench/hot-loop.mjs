#!/usr/bin/env node
// `npm run bench:hot-loop`: what deciding costs with no HTTP around it. Each bench body is parsed,
// checked, decided and answered in a loop of the built code (dist/), and the CVM bodies' steps are
// timed apart (decide, the patch's diff, its JSON, its base64). Then the log line of a denied exec,
// written by our logger and by sonic-boom's asynchronous mode with the same batching. CPU time per
// operation, from process.cpuUsage (all threads: libuv's pool included). The HTTP bench
// (`npm run bench`) measures the server; this says which part of it is ours and why.
//
//   npm run bench:hot-loop [-- --dist DIR] [--no-log]
//   --dist    the built code to load (default dist/): a build of another commit, to compare
//   --no-log  skip the logger case (builds whose createLogger cannot write to a file)
// Pin it to one CPU for steadier figures: taskset -c 1 npm run bench:hot-loop
import { Buffer } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { BODIES } from "./lib/bodies.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: opts } = parseArgs({
  options: {
    dist: { type: "string", default: join(ROOT, "dist") },
    "no-log": { type: "boolean", default: false },
  },
});
const load = (path) => import(pathToFileURL(join(resolve(opts.dist), path)).href);
const { defaultConfig } = await load("config/load.js");
const { FileClusterView } = await load("cluster/file-view.js");
const { checkReview } = await load("admission/review.js");
const { admit } = await load("admission/dispatch.js");
const { reviewJson } = await load("admission/response.js");
const { jsonPatch } = await load("admission/patch.js");
const { WEBHOOK_POLICIES } = await load("policies/index.js");
const { createLogger, LOG_BATCH_BYTES, LOG_FLUSH_MS } = await load("telemetry/logger.js");

const config = defaultConfig();
const view = FileClusterView.fromFile(join(ROOT, "examples/cluster-view.yaml"), config);
const quiet = { view, config, logger: pino({ level: "silent" }) };
const text = (name) => readFileSync(join(ROOT, "bench/bodies", `${name}.json`), "utf8");
const webhookOf = (body) => body.path.slice(1);

/** µs of CPU per call of `fn`, after a quarter as many warm-up calls. */
function cpuPerCall(fn, calls) {
  for (let i = 0; i < calls / 4; i++) fn();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

/** The whole answer, as the endpoint makes it, when it is decided without waiting; else undefined. */
function answer(body, source, deps) {
  const review = admit(webhookOf(body), checkReview(JSON.parse(source)), deps);
  return review instanceof Promise ? undefined : reviewJson(review);
}

const us = (n) => n.toFixed(1).padStart(8);
console.log(`dist: ${resolve(opts.dist)}, Node ${process.version}\n`);
console.log(
  "| body | parse µs | whole answer µs | ours beyond parse µs | answer bytes |\n|---|---:|---:|---:|---:|",
);
for (const body of BODIES) {
  const source = text(body.name);
  if (answer(body, source, quiet) === undefined) {
    console.log(
      `| ${body.name} | decided after a promise (a build before exec lookups answered from the cache): not timed | | | |`,
    );
    continue;
  }
  const calls = source.length > 50_000 ? 400 : 8000;
  const parse = cpuPerCall(() => JSON.parse(source), calls);
  const whole = cpuPerCall(() => answer(body, source, quiet), calls);
  const bytes = answer(body, source, quiet).length;
  console.log(`| ${body.name} | ${us(parse)} | ${us(whole)} | ${us(whole - parse)} | ${bytes} |`);
}

console.log(
  "\n| CVM body | decide µs | patch ops | diff µs | patch JSON µs | base64 µs |\n|---|---:|---:|---:|---:|---:|",
);
for (const body of BODIES.filter((b) => b.expect.cvm)) {
  const { request } = checkReview(JSON.parse(text(body.name)));
  const ctx = { request, view, config };
  const calls = body.name === "big-pod" ? 400 : 8000;
  const decision = WEBHOOK_POLICIES.mutate.decide(ctx);
  const ops = jsonPatch(request.object, decision.mutated);
  const json = JSON.stringify(ops);
  const decide = cpuPerCall(() => WEBHOOK_POLICIES.mutate.decide(ctx), calls);
  const diff = cpuPerCall(() => jsonPatch(request.object, decision.mutated), calls);
  const serialise = cpuPerCall(() => JSON.stringify(ops), calls);
  const base64 = cpuPerCall(() => Buffer.from(json).toString("base64"), calls);
  console.log(
    `| ${body.name} | ${us(decide)} | ${ops.length} | ${us(diff)} | ${us(serialise)} | ${us(base64)} |`,
  );
}

if (!opts["no-log"]) {
  // The denied exec's line is the one logged at every such request; its cost is the difference
  // between answering with a logger and with a silent one.
  const exec = BODIES.find((b) => b.name === "exec-review");
  const source = text(exec.name);
  const dir = mkdtempSync(join(tmpdir(), "cvm-hot-loop-"));
  const calls = 100_000;
  const silent = cpuPerCall(() => answer(exec, source, quiet), calls);
  const ours = createLogger("info", join(dir, "sync.log"));
  const oursCost = cpuPerCall(() => answer(exec, source, { ...quiet, logger: ours }), calls) - silent;
  const asyncDestination = pino.destination({
    dest: join(dir, "async.log"),
    sync: false,
    minLength: LOG_BATCH_BYTES,
    periodicFlush: LOG_FLUSH_MS,
  });
  const asyncLogger = pino(
    { level: "info", base: { app: "cvm-admission" }, timestamp: pino.stdTimeFunctions.isoTime },
    asyncDestination,
  );
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) answer(exec, source, { ...quiet, logger: asyncLogger });
  await new Promise((done) => asyncDestination.flush(done));
  const used = process.cpuUsage(before);
  const asyncCost = (used.user + used.system) / calls - silent;
  const lineBytes = readFileSync(join(dir, "sync.log"), "utf8").split("\n")[0].length + 1;
  console.log(`\n| log line of a denied exec (${lineBytes} bytes) | µs of CPU per line |\n|---|---:|`);
  console.log(`| our logger: synchronous ${LOG_BATCH_BYTES}-byte batches | ${us(oursCost)} |`);
  console.log(`| sonic-boom's asynchronous mode, same batching | ${us(asyncCost)} |`);
  rmSync(dir, { recursive: true, force: true });
}
