// Measuring one running HTTPS webhook with one request body: saturation throughput (wrk or
// autocannon), open-loop latency at a fixed rate, the server's CPU per request and its peak RSS.
// Adapted from the load harness the project was given (provenance in bench/SOURCES.md): the same phases and /proc
// accounting, as functions the runner calls for every target, without that harness's reference
// mutation check (the product's correctness is proven by the test suite).
import { readFileSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { clearTimeout, setTimeout } from "node:timers";
import { spawn, spawnSync } from "node:child_process";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const POST_LUA = fileURLToPath(new URL("./post.lua", import.meta.url));
const CLK_TCK = 100; // USER_HZ on Linux x86_64

export const round = (x, d = 3) =>
  x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d;

export function hasWrk() {
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

// ---------- /proc accounting of the server process ----------
function statFields(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  return s.slice(s.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime of the server (all its threads), in seconds. */
export function processCpuSeconds(pid) {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** VmHWM (peak RSS since the last reset) and VmRSS, in MB. */
export function processMemory(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const m = line.match(/^(VmHWM|VmRSS):\s+(\d+)/);
    if (m) out[m[1]] = Number(m[2]) / 1024;
  }
  return { peakMb: round(out.VmHWM, 1), rssMb: round(out.VmRSS, 1) };
}

/** Resets VmHWM so the next reading is the peak under the next body's load. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    /* not permitted here: the peak then covers the whole run */
  }
}

/** Busy seconds per CPU from /proc/stat, to tell how much foreign load disturbed a phase. */
function cpuBusy() {
  const out = {};
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = line.match(/^cpu(\d+)\s+(.*)$/);
    if (!m) continue;
    const v = m[2].split(/\s+/).map(Number);
    out[m[1]] = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK;
  }
  return out;
}

function selfCpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Share of a CPU's wall time used by anything but `ownCpuSeconds` (the server on its CPU, the
 * load generator on its CPU): other work there disturbs the measurement. */
function foreignLoad(before, after, cpu, ownCpuSeconds, wall) {
  if (before[cpu] === undefined || after[cpu] === undefined) return null;
  return round(Math.max(0, after[cpu] - before[cpu] - ownCpuSeconds) / wall, 3);
}

// ---------- saturation: closed loop ----------
function runWrk(target, bodyFile, seconds) {
  return new Promise((resolve, reject) => {
    // The sh wrapper prints its own stat after wrk exits, so wrk's CPU (cutime/cstime) can be read.
    const script = 'wrk "$@" >&2; echo; cat /proc/$$/stat';
    const args = ["-t1", `-c${target.conc}`, `-d${seconds}s`, "--timeout", "10s", "-s", POST_LUA, target.url];
    const p = spawn("taskset", ["-c", target.clientCpu, "sh", "-c", script, "sh", ...args], {
      env: { ...process.env, BODY_FILE: bodyFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const m = err.match(/WRKJSON (\{.*\})/);
      if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}): ${err.slice(-500)}`));
      const j = JSON.parse(m[1]);
      const st = out.trim().split("\n").pop();
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      resolve({
        requests: j.requests,
        seconds: j.duration_us / 1e6,
        errors: Object.values(j.errors).reduce((a, b) => a + b, 0),
        clientCpu: (Number(f[13]) + Number(f[14])) / CLK_TCK,
      });
    });
  });
}

async function runAutocannon(target, bodyFile, seconds) {
  const { default: autocannon } = await import("autocannon");
  const c0 = selfCpuSeconds();
  const r = await autocannon({
    url: target.url,
    method: "POST",
    body: readFileSync(bodyFile),
    headers: { "content-type": "application/json" },
    connections: target.conc,
    pipelining: 1,
    duration: seconds,
    tlsOptions: { ca: target.ca },
  });
  return {
    requests: r.requests.total,
    seconds: r.duration,
    errors: r.errors + r.timeouts + r.non2xx,
    clientCpu: selfCpuSeconds() - c0,
  };
}

export async function saturation(target, bodyFile, { warmup, duration }) {
  const generate = target.loadgen === "autocannon" ? runAutocannon : runWrk;
  if (warmup > 0) await generate(target, bodyFile, warmup);
  const cpu0 = processCpuSeconds(target.pid);
  const busy0 = cpuBusy();
  const t0 = process.hrtime.bigint();
  const self0 = selfCpuSeconds();
  const r = await generate(target, bodyFile, duration);
  const busy1 = cpuBusy();
  // CPU used on the client's core by the load: autocannon runs in this process, wrk is a child.
  const selfDelta = selfCpuSeconds() - self0;
  const clientOwn = target.loadgen === "autocannon" ? selfDelta : r.clientCpu + selfDelta;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const serverCpu = processCpuSeconds(target.pid) - cpu0;
  const serverUtil = serverCpu / wall;
  const clientUtil = r.clientCpu / r.seconds;
  return {
    rps: round(r.requests / r.seconds, 1),
    requests: r.requests,
    errors: r.errors,
    serverCpuUtil: round(serverUtil, 3),
    clientCpuUtil: round(clientUtil, 3),
    cpuMsPer1k: round((serverCpu / r.requests) * 1e6, 1),
    // The server had CPU to spare while the load generator was busy: the number is the client's limit.
    loadgenLimited: serverUtil < 0.9 && clientUtil > 0.9,
    foreignLoad: Math.max(
      foreignLoad(busy0, busy1, target.serverCpu, serverCpu, wall),
      foreignLoad(busy0, busy1, target.clientCpu, clientOwn, wall),
    ),
  };
}

// ---------- fixed offered rate: open loop ----------
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Fires `rate` requests per second on a fixed schedule (open loop, so a slow server cannot slow
 * the offered load) over a keep-alive pool; latency from send to the last response byte. */
function fixedRate(target, body, rate, seconds, drainSeconds = 15) {
  const u = new URL(target.url);
  const agent = new https.Agent({ keepAlive: true, maxSockets: target.conc, ca: target.ca });
  const headers = { "content-type": "application/json", "content-length": body.length };
  const total = Math.round(rate * seconds);
  const intervalNs = BigInt(Math.round(1e9 / rate));
  const latencies = [];
  let errors = 0;
  let done = 0;
  let sent = 0;
  let finished = false;
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let next = start;
    let drainTimer;
    const complete = (unfinished) => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      agent.destroy();
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      for (let i = 0; i < unfinished; i++) latencies.push(Infinity); // slower than anything observed
      latencies.sort((a, b) => a - b);
      const finite = (x) => (x === Infinity ? null : round(x));
      resolve({
        requests: total,
        achievedRps: round((total - unfinished) / wall, 1),
        errors,
        unfinished,
        latencyMs: {
          p50: finite(percentile(latencies, 50)),
          p90: finite(percentile(latencies, 90)),
          p99: finite(percentile(latencies, 99)),
          max: finite(latencies[latencies.length - 1]),
        },
      });
    };
    const fire = () => {
      const t = process.hrtime.bigint();
      sent++;
      const req = https.request(
        { agent, hostname: u.hostname, port: u.port, path: u.pathname, method: "POST", headers },
        (res) => {
          res.on("data", () => {});
          res.on("end", () => {
            if (finished) return;
            if (res.statusCode !== 200) errors++;
            latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
            if (++done === total) complete(0);
          });
        },
      );
      req.on("error", () => {
        if (finished) return;
        errors++;
        if (++done === total) complete(0);
      });
      req.end(body);
    };
    const tick = () => {
      const now = process.hrtime.bigint();
      while (next <= now && sent < total) {
        fire();
        next += intervalNs;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Number(next - process.hrtime.bigint()) / 1e6 - 0.5));
      else if (!finished) drainTimer = setTimeout(() => complete(total - done), drainSeconds * 1000);
    };
    tick();
  });
}

export async function latencyAtRate(target, bodyFile, { rate, duration }) {
  const body = readFileSync(bodyFile);
  await fixedRate(target, body, rate, 2, 5); // lead-in: open sockets, warm paths
  const cpu0 = processCpuSeconds(target.pid);
  const r = await fixedRate(target, body, rate, duration);
  const serverCpu = processCpuSeconds(target.pid) - cpu0;
  return {
    ...r,
    overloaded: r.unfinished > 0 || r.achievedRps < rate * 0.95,
    cpuMsPer1k: round((serverCpu / r.requests) * 1e6, 1),
  };
}

// ---------- one request, to check what the target answers ----------
export function postOnce(target, bodyText, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const u = new URL(target.url);
    const body = Buffer.from(bodyText);
    const req = https.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        ca: target.ca,
        headers: { "content-type": "application/json", "content-length": body.length },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Polls until the port accepts an HTTPS request (any answer) or the deadline passes. */
export async function waitForHttps(url, ca, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await postOnce({ url, ca }, "{}", 2000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`no HTTPS answer from ${url}: ${err.message}`);
      await sleep(100);
    }
  }
}
