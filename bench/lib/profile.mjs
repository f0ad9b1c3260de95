// A .cpuprofile (node --cpu-prof) -> where the busy time went: by package or source folder, and
// the hottest functions by self time, as Markdown tables, so a profile is read before anything
// is optimised. Idle samples (the server waiting for the floor's turn) are left out.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

function owner(url) {
  if (!url) return "(native: GC, I/O, program)";
  if (url.startsWith("node:"))
    return `node:${url.slice(5).split("/")[0] === "internal" ? url.slice(5).split("/")[1] : url.slice(5)}`;
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = path.slice(nm + 13).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return relative(process.cwd(), path).split("/").slice(0, 2).join("/");
}

function table(entries, total, top, label) {
  return [
    `| busy % | ms | ${label} |`,
    "|---:|---:|---|",
    ...[...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `| ${((us / total) * 100).toFixed(1)} | ${(us / 1000).toFixed(0)} | ${k} |`),
  ].join("\n");
}

export function hottestFunctions(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map();
  const byOwner = new Map();
  let total = 0;
  // samples[i] was taken in node samples[i] and lasted timeDeltas[i+1] µs.
  for (let i = 0; i < profile.samples.length; i++) {
    const cf = byId.get(profile.samples[i]).callFrame;
    if (cf.functionName === "(idle)") continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    total += us;
    const where = cf.url
      ? `${relative(process.cwd(), cf.url.replace(/^file:\/\//, ""))}:${cf.lineNumber + 1}`
      : "";
    const fn = `${cf.functionName || "(anonymous)"} ${where}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byOwner.set(owner(cf.url), (byOwner.get(owner(cf.url)) ?? 0) + us);
  }
  return `${table(byOwner, total, 15, "package or folder")}\n\n${table(byFunction, total, top, "function (self time)")}`;
}
