// Results -> the Markdown report: one row per body (ours against the floor of the same run), the
// node-cache cases, and the targets (issue 16; the node cache's of issue 7) with met / MISSED.

const f = (x, d = 0) =>
  x == null ? "–" : Number(x).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

const ratio = (row) =>
  row.ours?.saturation && row.floor?.saturation ? row.ours.saturation.rps / row.floor.saturation.rps : null;
/** The same ratio from server CPU per request: at saturation both servers are CPU-bound, so it
 * estimates the throughput ratio, and other load on the machine (which slows both unevenly) moves
 * it much less than req/s. */
const cpuRatio = (row) =>
  row.ours?.saturation?.cpuMsPer1k && row.floor?.saturation?.cpuMsPer1k
    ? row.floor.saturation.cpuMsPer1k / row.ours.saturation.cpuMsPer1k
    : null;

/** A reference server's req/s over the floor's in the same round: what parsing alone
 * (parseFloor), or parsing and writing our answer to the body (answerFloor), leaves of the floor. */
const floorRatio = (row, reference) =>
  row[reference]?.saturation && row[reference]?.floorSaturation
    ? row[reference].saturation.rps / row[reference].floorSaturation.rps
    : null;

function latencyCell(lat) {
  if (!lat) return "–";
  if (lat.overloaded) return `overloaded (${f(lat.achievedRps)}/s served, ${lat.unfinished} unanswered)`;
  const { p50, p90, p99 } = lat.latencyMs;
  return `${f(p50, 2)} / ${f(p90, 2)} / ${f(p99, 2)}`;
}

/** Ours over the parse-only floor, round by round: both were measured against that round's floor,
 * so the floor cancels out and each value is ours ÷ parse-only floor in the same round. */
const parseFloorRatios = (row) =>
  row.ratios?.ours?.map((ours, i) => ours / row.ratios.parseFloor[i]).filter(Number.isFinite) ?? [];

const PEAK_RSS_MAX_RATIO = 1.5;

export function evaluateTargets(results) {
  const byName = Object.fromEntries(results.bodies.map((b) => [b.name, b]));
  const targets = [];
  const throughput = (name, label, min) => {
    const row = byName[name];
    if (!row) return;
    const rounds = parseFloorRatios(row);
    const r = rounds.length ? [...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)] : null;
    const answered = row.ours?.check?.startsWith("ok") ?? false;
    targets.push({
      target: `${label} >= ${min.toFixed(2)}x parse-only floor`,
      measured:
        r == null
          ? "not measured"
          : `${r.toFixed(3)}x (${rounds.length > 1 ? `rounds ${rounds.map((x) => x.toFixed(3)).join(" / ")}; ` : ""}` +
            `medians: ours ${ratio(row)?.toFixed(3)}x floor, parse-only floor ${floorRatio(row, "parseFloor")?.toFixed(3)}x floor)` +
            (answered ? "" : " (wrong answer!)"),
      met: r != null && r >= min && answered,
    });
  };
  const p99 = (name, label, maxMs) => {
    const lat = byName[name]?.ours?.latency;
    if (!lat) return;
    const v = lat.overloaded ? null : lat.latencyMs.p99;
    const answered = byName[name].ours.check?.startsWith("ok") ?? false;
    targets.push({
      target: `${label} p99 <= ${maxMs} ms at ${results.phases.rate} req/s`,
      measured: v == null ? "overloaded" : `${v.toFixed(2)} ms${answered ? "" : " (wrong answer!)"}`,
      met: v != null && v <= maxMs && answered,
    });
  };
  throughput("plain-pod", "non-matching pod /mutate", 0.85);
  throughput("binding-review", "binding review /validate", 0.85);
  throughput("exec-review", "exec CONNECT /validate", 0.7);
  throughput("cvm-pod", "CVM pod /mutate", 0.45);
  throughput("big-pod", "100 KB pod /mutate", 0.55);
  p99("cvm-pod", "CVM pod", 2);
  p99("big-pod", "100 KB pod", 6);
  // Our peak RSS is reset per body, so its peak under the bench is the highest per-body peak.
  const peaks = results.bodies.map((b) => b.ours?.memory?.peakMb).filter((x) => x != null);
  const floors = results.floorPeakRss;
  if (peaks.length && floors) {
    const peak = Math.max(...peaks);
    targets.push({
      target: `peak RSS under the bench <= ${PEAK_RSS_MAX_RATIO}x the parse-only floor's`,
      measured:
        `${f(peak, 0)} MB against ${f(floors.parseFloor, 0)} MB = ${(peak / floors.parseFloor).toFixed(2)}x ` +
        `(the constant floor: ${f(floors.floor, 0)} MB = ${(peak / floors.floor).toFixed(2)}x)`,
      met: peak <= PEAK_RSS_MAX_RATIO * floors.parseFloor,
    });
  }
  const large = results.largeBodies;
  if (large) {
    targets.push({
      target: `${large.concurrency} concurrent ~2.7 MB CVM pods: every answer decided within the ${large.webhookTimeoutS} s timeout`,
      measured: `${large.other.length} undecided, slowest ${f(large.latencyMs.max, 0)} ms, peak RSS ${f(large.memory.peakMb, 0)} MB`,
      met: large.other.length === 0 && large.latencyMs.max < large.webhookTimeoutS * 1000,
    });
  }
  const cache = results.nodeCache;
  if (cache) {
    targets.push({
      target: "node cache <= 1 KB per node",
      measured: cache.bytesPerNode == null ? cache.error : `${f(cache.bytesPerNode)} B per node`,
      met: cache.bytesPerNode != null && cache.bytesPerNode <= 1024,
    });
    targets.push({
      target: "10,000 node watch events applied in < 1 s",
      measured: cache.watchEventsMs == null ? cache.error : `${f(cache.watchEventsMs)} ms`,
      met: cache.watchEventsMs != null && cache.watchEventsMs < 1000,
    });
  }
  return targets;
}

export function renderReport(results) {
  const m = results.machine;
  const p = results.phases;
  const out = [];
  out.push(
    `## cvm-admission against the floor (${m.date})`,
    "",
    `${m.cpus} CPUs (${m.model}), Linux ${m.kernel}, Node ${m.node}; ` +
      `${m.pinned ? "server on CPU 0, load on CPU 1" : "NOT pinned"}; HTTPS keep-alive on 127.0.0.1, TLS 1.3, RSA 2048. ` +
      `Saturation: ${results.loadgen}, 16 connections, ${p.duration} s after ${p.warmup} s warm-up` +
      (results.rounds > 1
        ? `, ${results.rounds} rounds per body with the servers taking turns; per server the round with the median ratio to that round's floor is shown. `
        : ". ") +
      `Latency: open loop at ${p.rate} req/s for ${p.rateDuration} s.`,
    "",
    `| body | endpoint | our answer | floor req/s | ours req/s | × floor | × floor by CPU | parse-only floor × floor | answer floor × floor | ours p50 / p90 / p99 ms @${p.rate}/s | floor p99 ms | ours CPU ms / 1k req | floor CPU ms / 1k req | ours peak RSS MB |`,
    "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
  );
  for (const row of results.bodies) {
    const o = row.ours ?? {};
    const fl = row.floor ?? {};
    const limited = (x) => (x?.saturation?.loadgenLimited ? " (loadgen-limited)" : "");
    out.push(
      `| ${row.name} (${f(row.bytes / 1024, 1)} KB) | ${row.path} | ${o.check ?? "–"} | ` +
        `${f(fl.saturation?.rps)}${limited(fl)} | ${f(o.saturation?.rps)}${limited(o)} | ${f(ratio(row), 3)} | ${f(cpuRatio(row), 3)} | ${f(floorRatio(row, "parseFloor"), 3)} | ${f(floorRatio(row, "answerFloor"), 3)} | ` +
        `${latencyCell(o.latency)} | ${fl.latency?.overloaded ? "overloaded" : f(fl.latency?.latencyMs.p99, 2)} | ` +
        `${f(o.saturation?.cpuMsPer1k, 0)} | ${f(fl.saturation?.cpuMsPer1k, 0)} | ${f(o.memory?.peakMb, 0)} |`,
    );
  }
  const disturbed = results.bodies.flatMap((row) =>
    ["floor", "parseFloor", "ours", "answerFloor"]
      .filter((t) => (row[t]?.saturation?.foreignLoad ?? 0) > 0.08)
      .map((t) => `${row.name}/${t} (${Math.round(row[t].saturation.foreignLoad * 100)} % of a CPU)`),
  );
  out.push(
    "",
    disturbed.length
      ? `Noise: other processes used the server's or the load's CPU during ${disturbed.join(", ")}; rerun on an idle machine.`
      : "No saturation phase saw more than 8 % foreign load on CPU 0 or CPU 1.",
  );
  const l = results.largeBodies;
  if (l) {
    out.push(
      "",
      `### Memory worst case: ${l.concurrency} concurrent legal CVM pods of ${f(l.bytes / 1e6, 2)} MB, ${l.rounds} rounds, ?timeout=${l.webhookTimeoutS}s`,
      "",
      "| answers | latency p50 / max ms | peak RSS MB | RSS after MB |",
      "|---|---|---:|---:|",
      `| ${l.patched} mutated, ${l.busy} busy (429, retry)${l.other.length ? `, **${l.other.length} other: ${l.other[0]}**` : ""} | ${f(l.latencyMs.p50, 0)} / ${f(l.latencyMs.max, 0)} | ${f(l.memory.peakMb, 0)} | ${f(l.memory.rssMb, 0)} |`,
    );
  }
  const c = results.nodeCache;
  if (c) {
    out.push(
      "",
      "### Node cache (the live cluster view in its own process, the fake apiserver in another)",
      "",
    );
    if (c.error) out.push(`Failed: ${c.error}`);
    else
      out.push(
        "| case | result |",
        "|---|---|",
        `| ${f(c.nodes)} nodes listed into the live view | ${f(c.listMs)} ms; heap +${f(c.heapDeltaBytes / 1024, 0)} KB = **${f(c.bytesPerNode)} B per node** |`,
        `| ${f(c.watchEvents)} node watch events (MODIFIED, kernel changes, ~6 KB each) applied | **${f(c.watchEventsMs)} ms** from first to last, ${f(c.watchEventsCpuMs)} ms CPU of the view's process (${f(c.watchEvents / (c.watchEventsMs / 1000))} events/s) |`,
      );
  }
  out.push(
    "",
    "### Targets (issue 16; node cache: issue 7), measured in this run",
    "",
    "| target | measured | |",
    "|---|---|---|",
  );
  for (const t of results.targets)
    out.push(`| ${t.target} | ${t.measured} | ${t.met ? "met" : "**MISSED**"} |`);
  return out.join("\n");
}
