// Keeps every node's eligibility label (config.labels.nodeEligible: "true"/"false") and its
// annotation cvm.dev/eligibility (verdict and reason) true to the kernel verdict, so the mutation's
// node affinity can select eligible nodes. Runs on the leader only, writes only when a node's
// label or annotation differs from the verdict (a merge patch of metadata alone), and is off when
// the operator forbids node writes (nodes.labels: false, the affinity then uses NFD labels).

import type { Config } from "../../config/config.js";
import { eligibleLabelValue, nodeJudgement } from "../eligibility.js";
import { kernelFloor } from "../kernel-floor.js";
import { silentLogger, type Logger } from "../../telemetry/logger.js";
import type { KubeClient } from "./kube-client.js";
import type { Leadership } from "./lease.js";
import { ELIGIBILITY_ANNOTATION, type LiveClusterView, type LiveNodeFacts } from "./live-view.js";

export interface NodeLabels {
  label: string;
  annotation: string;
}

/** The label and annotation a node should carry. */
export function desiredNodeLabels(node: LiveNodeFacts, config: Config): NodeLabels {
  const judgement = nodeJudgement(node, kernelFloor(config));
  return {
    label: eligibleLabelValue(judgement),
    annotation: `${judgement.verdict}: ${judgement.reason}`,
  };
}

export function labelsAgree(node: LiveNodeFacts, config: Config): boolean {
  const want = desiredNodeLabels(node, config);
  return node.eligibleLabel === want.label && node.eligibilityAnnotation === want.annotation;
}

const WRITE_TIMEOUT_MS = 5000;
const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 60_000;

export class NodeLabeller {
  private readonly queue = new Set<string>();
  private readonly retries = new Map<string, { attempts: number; timer: NodeJS.Timeout }>();
  private unsubscribe: (() => void) | undefined;
  private working = false;
  private readonly logger: Logger;

  constructor(
    private readonly view: LiveClusterView,
    private readonly client: KubeClient,
    private readonly config: Config,
    logger?: Logger,
  ) {
    this.logger = logger ?? silentLogger;
  }

  get running(): boolean {
    return this.unsubscribe !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.unsubscribe = this.view.onNodeChange((name, facts) => {
      if (facts !== undefined) this.enqueue(name);
    });
    for (const node of this.view.nodes()) this.enqueue(node.name);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue.clear();
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  private enqueue(name: string): void {
    this.queue.add(name);
    if (!this.working) void this.work();
  }

  private async work(): Promise<void> {
    this.working = true;
    try {
      for (const name of this.queue) {
        this.queue.delete(name);
        if (!this.running) break;
        await this.reconcile(name);
      }
    } finally {
      this.working = false;
    }
  }

  private async reconcile(name: string): Promise<void> {
    const node = this.view.node(name);
    if (node === undefined || labelsAgree(node, this.config)) return;
    const want = desiredNodeLabels(node, this.config);
    const patch = {
      metadata: {
        labels: { [this.config.labels.nodeEligible]: want.label },
        annotations: { [ELIGIBILITY_ANNOTATION]: want.annotation },
      },
    };
    try {
      await this.client.request("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, {
        body: patch,
        contentType: "application/merge-patch+json",
        timeoutMs: WRITE_TIMEOUT_MS,
      });
      this.retries.delete(name);
      this.logger.info(
        { node: name, eligible: want.label, reason: want.annotation },
        "node eligibility labelled",
      );
    } catch (err) {
      this.retryLater(name, err as Error);
    }
  }

  private retryLater(name: string, err: Error): void {
    const attempts = (this.retries.get(name)?.attempts ?? 0) + 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** (attempts - 1));
    this.logger.warn({ node: name, err: err.message, retryInMs: delay }, "node label write failed");
    const timer = setTimeout(() => this.enqueue(name), delay);
    timer.unref();
    this.retries.set(name, { attempts, timer });
  }
}

/**
 * Runs the labeller whenever this replica leads (nothing when nodes.labels is false). Returns the
 * function that detaches it.
 */
export function labelNodesWhileLeading(
  elector: Leadership,
  view: LiveClusterView,
  client: KubeClient,
  config: Config,
  logger?: Logger,
): () => void {
  if (!config.nodes.labels) return () => {};
  const labeller = new NodeLabeller(view, client, config, logger);
  const offStart = elector.onStartedLeading(() => labeller.start());
  const offStop = elector.onStoppedLeading(() => labeller.stop());
  return () => {
    offStart();
    offStop();
    labeller.stop();
  };
}
