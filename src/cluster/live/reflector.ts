// List+watch of one resource into a map of small facts (never whole objects), the way client-go's
// reflector does it: list (paged) to get a resourceVersion, watch from it with bookmarks, resume
// from the last resourceVersion seen after any drop, relist only on 410 Gone, back off with jitter
// between failures. client-node's ListWatch is not used: it keeps whole objects, stops for good on
// any error other than 410, never asks for bookmarks, and (through its Watch) has no idle timeout.

import type { KubeClient } from "./kube-client.js";
import { KubeApiError } from "./kube-client.js";
import { listAll, type KubeObject } from "./list.js";

interface WatchEvent {
  type?: string;
  object?: KubeObject & { code?: number; message?: string };
}

export interface ReflectorOptions<F> {
  client: KubeClient;
  /** For logs and metrics: "nodes", "namespaces", "pods". */
  resource: string;
  /** Collection path, e.g. /api/v1/nodes. */
  path: string;
  labelSelector?: string;
  toFacts(obj: KubeObject): F;
  /** True when two facts are the same (an update that changes nothing is not passed on). */
  same(a: F, b: F): boolean;
  onChange?(key: string, facts: F | undefined): void;
  onRestart?(reason: "closed" | "expired" | "error", error?: Error): void;
  timing?: Partial<ReflectorTiming>;
  random?: () => number;
}

export interface ReflectorTiming {
  /** The server ends each watch after timeoutSeconds, drawn from [watchSeconds, 2 * watchSeconds). */
  watchSeconds: number;
  /** Extra silence tolerated beyond the server's timeout before the watch counts as stalled. */
  idleGraceMs: number;
  listTimeoutMs: number;
  pageSize: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

const DEFAULT_TIMING: ReflectorTiming = {
  watchSeconds: 300,
  idleGraceMs: 30_000,
  listTimeoutMs: 60_000,
  pageSize: 500,
  backoffInitialMs: 800,
  backoffMaxMs: 30_000,
};

/** The key of an object in the store: name, or namespace/name for namespaced objects. */
export function objectKey(obj: KubeObject): string {
  const { namespace, name = "" } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : name;
}

class Expired extends Error {}

export class Reflector<F> {
  readonly store = new Map<string, F>();
  private resourceVersion = "";
  private synced = false;
  private heard = 0;
  private stopped = true;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly timing: ReflectorTiming;
  private readonly random: () => number;

  constructor(private readonly opts: ReflectorOptions<F>) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.random = opts.random ?? Math.random;
  }

  get resource(): string {
    return this.opts.resource;
  }

  /** True once the first list has been applied. */
  isSynced(): boolean {
    return this.synced;
  }

  /** Milliseconds since the apiserver last told us anything (list, event or bookmark); Infinity before. */
  ageMs(now = Date.now()): number {
    return this.heard === 0 ? Infinity : now - this.heard;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let watchBegan: number | undefined;
      try {
        if (this.resourceVersion === "") await this.relist();
        // stop() during the list aborted nothing the watch would hear: it must not begin.
        if (this.stopped) break;
        watchBegan = Date.now();
        await this.watch();
        if (this.stopped) break;
        this.opts.onRestart?.("closed");
        // A server that ends every watch at once must not make us spin.
        failures = Date.now() - watchBegan < this.timing.backoffInitialMs ? failures + 1 : 0;
        if (failures > 0) await this.sleep(this.backoff(failures));
      } catch (err) {
        if (this.stopped) break;
        // A watch that was healthy for a while starts the backoff afresh.
        if (watchBegan !== undefined && Date.now() - watchBegan > this.timing.backoffMaxMs) failures = 0;
        failures++;
        const gone = err instanceof Expired || (err instanceof KubeApiError && err.status === 410);
        if (gone && this.resourceVersion !== "") {
          // Our resourceVersion is older than the apiserver's history: only a fresh list can catch up.
          // Relist at once the first time; a server that expires us again right away gets backoff.
          this.resourceVersion = "";
          this.opts.onRestart?.("expired");
          if (failures > 1) await this.sleep(this.backoff(failures - 1));
          continue;
        }
        this.opts.onRestart?.("error", err as Error);
        await this.sleep(this.backoff(failures));
      }
    }
  }

  /** Exponential backoff with full jitter in [delay/2, delay). */
  private backoff(failures: number): number {
    const delay = Math.min(this.timing.backoffMaxMs, this.timing.backoffInitialMs * 2 ** (failures - 1));
    return delay / 2 + (this.random() * delay) / 2;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const wake = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal.addEventListener("abort", wake);
    });
  }

  /** A consistent paged list; the store becomes exactly its items (deletions missed while away included). */
  private async relist(): Promise<void> {
    const list = await listAll<KubeObject>(this.opts.client, this.opts.path, {
      labelSelector: this.opts.labelSelector,
      pageSize: this.timing.pageSize,
      timeoutMs: this.timing.listTimeoutMs,
      cancelled: () => this.stopped,
    });
    if (list === undefined) return;
    const fresh = new Map(list.items.map((item) => [objectKey(item), this.opts.toFacts(item)]));
    for (const key of [...this.store.keys()]) if (!fresh.has(key)) this.apply(key, undefined);
    for (const [key, facts] of fresh) this.apply(key, facts);
    this.resourceVersion = list.resourceVersion;
    this.heard = Date.now();
    this.synced = true;
  }

  private apply(key: string, facts: F | undefined): void {
    const old = this.store.get(key);
    if (facts === undefined) {
      if (!this.store.delete(key)) return;
    } else {
      if (old !== undefined && this.opts.same(old, facts)) return;
      this.store.set(key, facts);
    }
    this.opts.onChange?.(key, facts);
  }

  private async watch(): Promise<void> {
    const timeoutSeconds = Math.floor(this.timing.watchSeconds * (1 + this.random()));
    const watchAbort = new AbortController();
    const stopWatch = () => watchAbort.abort();
    this.abort.signal.addEventListener("abort", stopWatch);
    let expired = false;
    try {
      await this.opts.client.stream(this.opts.path, {
        query: {
          watch: "true",
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: "true",
          timeoutSeconds: String(timeoutSeconds),
          labelSelector: this.opts.labelSelector,
        },
        idleTimeoutMs: timeoutSeconds * 1000 + this.timing.idleGraceMs,
        signal: watchAbort.signal,
        onLine: (line) => {
          if (this.onEvent(JSON.parse(line) as WatchEvent) === "expired") {
            expired = true;
            watchAbort.abort();
          }
        },
      });
    } finally {
      this.abort.signal.removeEventListener("abort", stopWatch);
    }
    if (expired) throw new Expired("resourceVersion expired");
  }

  private onEvent(event: WatchEvent): "expired" | undefined {
    const obj = event.object ?? {};
    switch (event.type) {
      case "ADDED":
      case "MODIFIED":
        this.apply(objectKey(obj), this.opts.toFacts(obj));
        break;
      case "DELETED":
        this.apply(objectKey(obj), undefined);
        break;
      case "BOOKMARK":
        break;
      case "ERROR":
        if (obj.code === 410) return "expired";
        throw new KubeApiError(obj.code ?? 500, `watch ${this.opts.path}: ${obj.message ?? "error event"}`);
      default:
        throw new Error(`watch ${this.opts.path}: unknown event type ${JSON.stringify(event.type)}`);
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    this.heard = Date.now();
    return undefined;
  }
}
