// The cluster as the policies see it: small, pre-digested facts about nodes, namespaces and CVM
// pods, never whole objects (memory stays bounded on 5,000-node clusters). Two sources implement
// it: the live cluster (list+watch) and a file (--cluster-view) for offline use and tests.

/** What the node policies read from a Node. */
export interface NodeFacts {
  name: string;
  /** status.nodeInfo.kernelVersion as reported ("" when missing). */
  kernelVersion: string;
  /** status.nodeInfo.osImage ("" when missing). */
  osImage: string;
  /** status.nodeInfo.operatingSystem ("" when missing; judged as linux, docs/nodes.md). */
  operatingSystem: string;
  /** Current value of the eligibility label on the node, if any (to see whether it agrees). */
  eligibleLabel?: string;
}

/** What the policies read from a Namespace. */
export interface NamespaceFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** What the policies read from a CVM pod (pods carrying the opt-in label). */
export interface PodFacts {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  nodeName?: string;
}

export interface ClusterView {
  /** True once every cache has finished its first list (drives /readyz). */
  isSynced(): boolean;
  node(name: string): NodeFacts | undefined;
  namespace(name: string): NamespaceFacts | undefined;
  /** CVM pods only; a miss means "not cached", not "not a CVM pod". */
  cvmPod(namespace: string, name: string): PodFacts | undefined;
  nodes(): Iterable<NodeFacts>;
  namespaces(): Iterable<NamespaceFacts>;
  /** One direct read for a cache miss (short timeout). Offline views answer from the file. */
  readNode(name: string): Promise<NodeFacts | undefined>;
  readPod(namespace: string, name: string): Promise<PodFacts | undefined>;
}
