// The worst case for memory (issue 13 §2): CONCURRENCY legal CVM pods of ~2.7 MB posted at once,
// each on its own connection as the apiserver's webhook client does under a burst, with the
// apiserver's ?timeout= of the mutating webhook (5 s). Measures the server's peak RSS, each
// answer's latency, and whether every answer is decided (HTTP 200 with the request's uid), and
// how many were the "busy" answer rather than the mutation.
import { Buffer } from "node:buffer";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { processMemory, resetPeakRss } from "./measure.mjs";

const WEBHOOK_TIMEOUT_S = 5;

function post(url, ca, body) {
  const started = performance.now();
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = https.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}?timeout=${WEBHOOK_TIMEOUT_S}s`,
        method: "POST",
        ca,
        agent: false,
        headers: { "content-type": "application/json", "content-length": body.length },
        timeout: 30_000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            text: Buffer.concat(chunks).toString("utf8"),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 30 s")));
    req.on("error", (err) => resolve({ status: 0, text: err.message, ms: performance.now() - started }));
    req.end(body);
  });
}

/** What one answer was: "patched", "busy" (decided, not mutated), or "UNDECIDED: ...". */
function kindOf(answer, uid) {
  if (answer.status !== 200) return `UNDECIDED: HTTP ${answer.status} ${answer.text.slice(0, 120)}`;
  const { response } = JSON.parse(answer.text);
  if (response?.uid !== uid) return `UNDECIDED: uid ${response?.uid}`;
  if (response.allowed && response.patch) return "patched";
  return response.status?.code === 429
    ? "busy"
    : `denied ${response.status?.code}: ${response.status?.message}`;
}

export async function concurrentLargeBodies({ url, ca, pid, bodyText, concurrency, rounds, log }) {
  const body = Buffer.from(bodyText);
  const uid = JSON.parse(bodyText).request.uid;
  resetPeakRss(pid);
  const answers = [];
  for (let r = 0; r < rounds; r++) {
    const round = await Promise.all(Array.from({ length: concurrency }, () => post(url, ca, body)));
    answers.push(...round);
    log(`large bodies round ${r + 1}/${rounds}: ${round.map((a) => Math.round(a.ms)).join(", ")} ms`);
  }
  const kinds = answers.map((a) => kindOf(a, uid));
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  const count = (k) => kinds.filter((x) => x === k).length;
  return {
    bytes: body.length,
    concurrency,
    rounds,
    webhookTimeoutS: WEBHOOK_TIMEOUT_S,
    patched: count("patched"),
    busy: count("busy"),
    other: kinds.filter((k) => k !== "patched" && k !== "busy"),
    latencyMs: { p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] },
    memory: processMemory(pid),
  };
}
