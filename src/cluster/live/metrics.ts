// Health of the live caches as Prometheus metrics: how often watches restart (and why), and how
// long since each cache last heard from the apiserver (bookmarks keep a healthy cache near 60 s).

import { Counter, Gauge } from "prom-client";
import { registry } from "../../telemetry/metrics.js";

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
