// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews every retry period; another candidate takes over once it has seen the same record
// unchanged for a whole lease duration (time measured on its own clock, so clock skew between
// replicas does not matter); a leader that cannot renew within the renew deadline steps down; a
// clean stop releases the lease (empty holder) so a successor need not wait. Optimistic
// concurrency (resourceVersion on PUT) settles races. Background work that must run once per
// cluster (node labels, certificates) subscribes to onStartedLeading/onStoppedLeading.

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Config } from "../../config/config.js";
import { ConfigError } from "../../config/load.js";
import { silentLogger, type Logger } from "../../telemetry/logger.js";
import { KubeApiError, type KubeClient } from "./kube-client.js";

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger?: Logger;
}

type Listener = () => void;

/** The Lease as it travels (client-node's Lease types MicroTime as Date; on the wire it is a string). */
interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits, or the apiserver refuses them. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Where the service account says this pod runs, else "default" (outside a cluster). */
function podNamespace(): string {
  try {
    return (
      readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim() || "default"
    );
  } catch {
    return process.env["POD_NAMESPACE"] || "default";
  }
}

/** Who does the once-per-cluster work: the Lease holder, or this replica alone when election is off. */
export interface Leadership {
  isLeader(): boolean;
  /** Called now if already leading, and at every start of leadership; returns the unsubscribe. */
  onStartedLeading(listener: Listener): () => void;
  onStoppedLeading(listener: Listener): () => void;
  start(): void;
  stop(): Promise<void>;
}

/** The listeners and state every Leadership shares; subclasses decide when leading starts and stops. */
abstract class LeadershipBase implements Leadership {
  protected leading = false;
  private readonly startedListeners = new Set<Listener>();
  private readonly stoppedListeners = new Set<Listener>();

  constructor(protected readonly logger: Logger = silentLogger) {}

  abstract start(): void;
  abstract stop(): Promise<void>;

  isLeader(): boolean {
    return this.leading;
  }

  onStartedLeading(listener: Listener): () => void {
    this.startedListeners.add(listener);
    if (this.leading) listener();
    return () => this.startedListeners.delete(listener);
  }

  onStoppedLeading(listener: Listener): () => void {
    this.stoppedListeners.add(listener);
    return () => this.stoppedListeners.delete(listener);
  }

  protected setLeading(leading: boolean): void {
    this.leading = leading;
    for (const listener of leading ? this.startedListeners : this.stoppedListeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, "leader listener failed");
      }
    }
  }
}

/** leaderElection.enabled: false: a single replica that leads from start() until stop(). */
export class SoleLeader extends LeadershipBase {
  start(): void {
    if (!this.leading) this.setLeading(true);
  }
  async stop(): Promise<void> {
    if (this.leading) this.setLeading(false);
  }
}

export class LeaderElector extends LeadershipBase {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private lastRenew = 0;
  private readonly path: string;

  constructor(private readonly opts: LeaderElectorOptions) {
    super(opts.logger);
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases`;
  }

  get identity(): string {
    return this.opts.identity;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops campaigning; a leader steps down and releases the lease so a successor takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.setLeading(false);
      await this.release().catch((err: Error) =>
        this.logger.warn({ err: err.message }, "lease release failed"),
      );
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let renewed = false;
      try {
        renewed = await this.tryAcquireOrRenew();
      } catch (err) {
        this.logger.warn({ lease: this.opts.name, err: (err as Error).message }, "lease update failed");
      }
      if (this.stopped) break;
      if (renewed) {
        this.lastRenew = Date.now();
        if (!this.leading) this.setLeading(true);
      } else if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineMs) {
        this.setLeading(false);
      }
      // Candidates spread their retries (jitter 1.0-1.2, as client-go) so they do not collide forever.
      const pause = this.leading
        ? this.opts.retryPeriodMs
        : this.opts.retryPeriodMs * (1 + Math.random() * 0.2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  protected override setLeading(leading: boolean): void {
    const who = { lease: this.opts.name, identity: this.opts.identity };
    this.logger.info(who, leading ? "started leading" : "stopped leading");
    super.setLeading(leading);
  }

  private timeoutMs(): number {
    return Math.max(100, Math.min(this.opts.renewDeadlineMs, 5000));
  }

  private spec(previous: LeaseSpec | undefined, now: Date): LeaseSpec {
    const mine = previous?.holderIdentity === this.opts.identity;
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      acquireTime: mine && previous?.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: mine || previous === undefined ? transitions : transitions + 1,
    };
  }

  /** True when we hold the lease after this attempt. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: Lease;
    try {
      lease = await this.opts.client.request<Lease>(
        "GET",
        `${this.path}/${encodeURIComponent(this.opts.name)}`,
        {
          timeoutMs: this.timeoutMs(),
        },
      );
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      const created: Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
        spec: this.spec(undefined, now),
      };
      return this.write("POST", this.path, created);
    }

    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const renewTime = spec.renewTime ?? "";
    if (this.observed?.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, at: Date.now() };
    }
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const heldByOther = holder !== "" && holder !== this.opts.identity;
    if (heldByOther && this.observed.at + durationMs > Date.now()) return false;

    const updated: Lease = { ...lease, spec: this.spec(spec, now) };
    return this.write("PUT", `${this.path}/${encodeURIComponent(this.opts.name)}`, updated);
  }

  /** A create or update that lost a race (409) means someone else got there first. */
  private async write(method: "POST" | "PUT", path: string, lease: Lease): Promise<boolean> {
    try {
      await this.opts.client.request(method, path, { body: lease, timeoutMs: this.timeoutMs() });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const path = `${this.path}/${encodeURIComponent(this.opts.name)}`;
    const lease = await this.opts.client.request<Lease>("GET", path, { timeoutMs: this.timeoutMs() });
    if (lease.spec?.holderIdentity !== this.opts.identity) return;
    const now = microTime(new Date());
    const spec: LeaseSpec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now };
    await this.write("PUT", path, { ...lease, spec });
  }
}

/** The elector `serve` runs in a cluster, from the leaderElection config keys. */
export function leaderElectorFromConfig(client: KubeClient, config: Config, logger?: Logger): LeaderElector {
  const le = config.leaderElection;
  // As client-go insists: a leader must give up (renew deadline) before others may take over (lease
  // duration), and must get several tries (retry period, with jitter) within its deadline.
  if (!(
    le.leaseDurationSeconds > le.renewDeadlineSeconds && le.renewDeadlineSeconds > le.retryPeriodSeconds * 1.2
  )) {
    throw new ConfigError(
      `leaderElection: need leaseDurationSeconds (${le.leaseDurationSeconds}) > renewDeadlineSeconds ` +
        `(${le.renewDeadlineSeconds}) > 1.2 x retryPeriodSeconds (${le.retryPeriodSeconds}), or two replicas could lead at once`,
    );
  }
  return new LeaderElector({
    client,
    namespace: le.namespace || podNamespace(),
    name: le.leaseName,
    identity: `${hostname()}_${randomBytes(4).toString("hex")}`,
    leaseDurationMs: le.leaseDurationSeconds * 1000,
    renewDeadlineMs: le.renewDeadlineSeconds * 1000,
    retryPeriodMs: le.retryPeriodSeconds * 1000,
    ...(logger ? { logger } : {}),
  });
}
