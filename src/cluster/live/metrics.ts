// Health of the live caches as Prometheus metrics: how often watches restart (and why), and how
// long since each cache last heard from the apiserver (bookmarks keep a healthy cache near 60 s);
// and the cluster's nodes by kernel verdict, computed at scrape time from the view.

import { Counter, Gauge } from "prom-client";
import { registry } from "../../telemetry/metrics.js";
import { nodeJudgement } from "../eligibility.js";
import type { KernelVerdict } from "../kernel.js";
import type { ClusterView } from "../view.js";

export const watchRestarts = new Counter({
  name: "cvm_admission_watch_restarts_total",
  help: "Watch restarts by resource and reason (closed by the server, expired resourceVersion, error).",
  labelNames: ["resource", "reason"] as const,
  registers: [registry],
});

export interface CacheSource {
  readonly resource: string;
  ageMs(now?: number): number;
}

const caches = new Set<CacheSource>();

export const cacheAge = new Gauge({
  name: "cvm_admission_cache_age_seconds",
  help: "Seconds since each cache last heard from the apiserver (list, watch event or bookmark).",
  labelNames: ["resource"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const now = Date.now();
    for (const cache of caches) {
      const age = cache.ageMs(now);
      if (Number.isFinite(age)) this.set({ resource: cache.resource }, age / 1000);
    }
  },
});

/** Reports these caches in cacheAge until the returned function is called. */
export function observeCaches(sources: readonly CacheSource[]): () => void {
  for (const source of sources) caches.add(source);
  return () => sources.forEach((source) => caches.delete(source));
}

const verdictSources = new Set<{ view: ClusterView; minimum: string }>();

export const nodesByVerdict = new Gauge({
  name: "cvm_admission_nodes",
  help: "Nodes in the cluster view by kernel verdict (eligible, below-minimum, not-linux, unparseable).",
  labelNames: ["verdict"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const counts: Record<KernelVerdict, number> = {
      eligible: 0,
      "below-minimum": 0,
      "not-linux": 0,
      unparseable: 0,
    };
    for (const { view, minimum } of verdictSources)
      for (const node of view.nodes()) counts[nodeJudgement(node, minimum).verdict]++;
    for (const [verdict, count] of Object.entries(counts)) this.set({ verdict }, count);
  },
});

/** Counts this view's nodes in nodesByVerdict at every scrape until the returned function is called. */
export function observeNodeVerdicts(view: ClusterView, minimum: string): () => void {
  const source = { view, minimum };
  verdictSources.add(source);
  return () => verdictSources.delete(source);
}
