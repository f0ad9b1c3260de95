// The ClusterView of a running cluster: three list+watch caches of small facts (nodes, namespaces,
// and only the pods carrying the CVM opt-in label: no cluster-wide pod cache), plus one
// direct GET with the configured deadline for a cache miss.

import { isDeepStrictEqual } from "node:util";
import type { V1Namespace, V1Node, V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { kernelFloor } from "../kernel-floor.js";
import { silentLogger, type Logger } from "../../telemetry/logger.js";
import { namespaceFacts, nodeFacts, podFacts } from "../facts.js";
import type { ClusterView, NamespaceFacts, NodeFacts, PodFacts } from "../view.js";
import { KubeApiError, type KubeClient } from "./kube-client.js";
import { observeCaches, observeNodeVerdicts, watchRestarts } from "./metrics.js";
import { Reflector, type ReflectorTiming } from "./reflector.js";

/** The annotation that carries a node's verdict reason next to the eligibility label (docs/README.md, "Names"). */
export const ELIGIBILITY_ANNOTATION = "cvm.dev/eligibility";

/** Node facts plus the annotation the labeller compares before writing. */
export interface LiveNodeFacts extends NodeFacts {
  eligibilityAnnotation?: string;
}

export function liveNodeFacts(node: V1Node, config: Config): LiveNodeFacts {
  const facts: LiveNodeFacts = nodeFacts(node, config.labels.nodeEligible);
  const annotation = node.metadata?.annotations?.[ELIGIBILITY_ANNOTATION];
  if (annotation !== undefined) facts.eligibilityAnnotation = annotation;
  return facts;
}

export interface LiveViewOptions {
  logger?: Logger;
  timing?: Partial<ReflectorTiming>;
}

type NodeListener = (name: string, facts: LiveNodeFacts | undefined) => void;

export class LiveClusterView implements ClusterView {
  private readonly nodeCache: Reflector<LiveNodeFacts>;
  private readonly namespaceCache: Reflector<NamespaceFacts>;
  private readonly podCache: Reflector<PodFacts>;
  private readonly nodeListeners = new Set<NodeListener>();
  private readonly unobserve: Array<() => void> = [];

  constructor(
    private readonly client: KubeClient,
    private readonly config: Config,
    options: LiveViewOptions = {},
  ) {
    const logger = options.logger ?? silentLogger;
    const common = (resource: string) => ({
      client,
      resource,
      timing: options.timing,
      same: isDeepStrictEqual,
      onRestart: (reason: "closed" | "expired" | "error", error?: Error) => {
        watchRestarts.inc({ resource, reason });
        if (reason !== "closed") logger.warn({ resource, reason, err: error?.message }, "watch restarting");
      },
    });
    this.nodeCache = new Reflector<LiveNodeFacts>({
      ...common("nodes"),
      path: "/api/v1/nodes",
      toFacts: (obj) => liveNodeFacts(obj as V1Node, config),
      onChange: (name, facts) => this.nodeListeners.forEach((listener) => listener(name, facts)),
    });
    this.namespaceCache = new Reflector<NamespaceFacts>({
      ...common("namespaces"),
      path: "/api/v1/namespaces",
      toFacts: (obj) => namespaceFacts(obj as V1Namespace),
    });
    this.podCache = new Reflector<PodFacts>({
      ...common("pods"),
      path: "/api/v1/pods",
      labelSelector: `${config.labels.podOptIn}=true`,
      toFacts: (obj) => podFacts(obj as V1Pod),
    });
  }

  private get caches() {
    return [this.nodeCache, this.namespaceCache, this.podCache] as const;
  }

  start(): void {
    this.caches.forEach((cache) => cache.start());
    this.unobserve.push(observeCaches(this.caches), observeNodeVerdicts(this, kernelFloor(this.config)));
  }

  async stop(): Promise<void> {
    this.unobserve.splice(0).forEach((undo) => undo());
    await Promise.all(this.caches.map((cache) => cache.stop()));
  }

  /** Called on every node whose facts changed (undefined: deleted); returns the unsubscribe. */
  onNodeChange(listener: NodeListener): () => void {
    this.nodeListeners.add(listener);
    return () => this.nodeListeners.delete(listener);
  }

  isSynced(): boolean {
    return this.caches.every((cache) => cache.isSynced());
  }
  node(name: string): LiveNodeFacts | undefined {
    return this.nodeCache.store.get(name);
  }
  namespace(name: string): NamespaceFacts | undefined {
    return this.namespaceCache.store.get(name);
  }
  cvmPod(namespace: string, name: string): PodFacts | undefined {
    return this.podCache.store.get(`${namespace}/${name}`);
  }
  nodes(): Iterable<LiveNodeFacts> {
    return this.nodeCache.store.values();
  }
  namespaces(): Iterable<NamespaceFacts> {
    return this.namespaceCache.store.values();
  }

  async readNode(name: string): Promise<LiveNodeFacts | undefined> {
    const node = await this.readOne<V1Node>(`/api/v1/nodes/${encodeURIComponent(name)}`);
    return node && liveNodeFacts(node, this.config);
  }

  async readPod(namespace: string, name: string): Promise<PodFacts | undefined> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    const pod = await this.readOne<V1Pod>(path);
    return pod && podFacts(pod);
  }

  private async readOne<T>(path: string): Promise<T | undefined> {
    try {
      return await this.client.request<T>("GET", path, { timeoutMs: this.config.cluster.readTimeoutMs });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }
}
