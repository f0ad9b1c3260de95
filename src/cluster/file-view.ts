// A ClusterView read from a file (--cluster-view): nodes, namespaces and pods as a Kubernetes
// List, a bare JSON array, or multi-document YAML. It lets `serve`, `mutate` and `nodes` work with
// no cluster; the file is the whole truth, so a "direct read" answers from it too.

import { readFileSync } from "node:fs";
import type { V1Namespace, V1Node, V1Pod } from "@kubernetes/client-node";
import type { Config } from "../config/config.js";
import { parseDocuments } from "./documents.js";
import { namespaceFacts, nodeFacts, podFacts } from "./facts.js";
import type { ClusterView, NamespaceFacts, NodeFacts, PodFacts } from "./view.js";

export class ClusterViewFileError extends Error {
  override name = "ClusterViewFileError";
}

/** The view `serve` uses when no file and no cluster is given (README.md, "The cluster view file"). */
export const EMBEDDED_VIEW_FILE = new URL("../../examples/cluster-view.yaml", import.meta.url);

interface KubeObject {
  apiVersion?: unknown;
  kind?: unknown;
  items?: unknown;
}

/**
 * The kind of an object that lost it: dumps of `.items` (sonobuoy's Nodes.json and Pods.json) drop
 * kind and apiVersion. Only a Node has status.nodeInfo, only a Pod has spec.containers at its top.
 */
export function inferredKind(obj: object): "Node" | "Pod" | undefined {
  const { status, spec } = obj as { status?: unknown; spec?: unknown };
  if (typeof status === "object" && status !== null && "nodeInfo" in status) return "Node";
  if (
    typeof spec === "object" &&
    spec !== null &&
    Array.isArray((spec as { containers?: unknown }).containers)
  )
    return "Pod";
  return undefined;
}

function flatten(doc: unknown, where: string, out: { obj: KubeObject; where: string }[]): void {
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => flatten(item, `${where}[${i}]`, out));
    return;
  }
  if (doc === null || doc === undefined) return;
  if (typeof doc !== "object")
    throw new ClusterViewFileError(`${where}: expected an object, got ${typeof doc}`);
  let obj = doc as KubeObject;
  const kind = obj.kind === undefined ? inferredKind(obj) : undefined;
  if (kind) obj = { apiVersion: "v1", kind, ...obj };
  if (typeof obj.kind !== "string") throw new ClusterViewFileError(`${where}: object has no kind`);
  if (obj.kind === "List" || obj.kind.endsWith("List")) {
    if (!Array.isArray(obj.items)) throw new ClusterViewFileError(`${where}: ${obj.kind} has no items array`);
    // The apiserver sends a typed list's items without kind (a NodeList's items are Nodes).
    const itemKind = obj.kind === "List" ? undefined : obj.kind.slice(0, -"List".length);
    obj.items.forEach((item, i) => {
      const typed =
        itemKind && typeof item === "object" && item !== null && !("kind" in item)
          ? { kind: itemKind, ...item }
          : item;
      flatten(typed, `${where}.items[${i}]`, out);
    });
    return;
  }
  out.push({ obj, where });
}

/** The fields the view reads, with the type Kubernetes gives them (a file may hold anything). */
const FIELD_TYPES: Record<string, [path: string[], type: "string" | "string map"][]> = {
  Node: [
    [["status", "nodeInfo", "kernelVersion"], "string"],
    [["status", "nodeInfo", "osImage"], "string"],
    [["status", "nodeInfo", "operatingSystem"], "string"],
  ],
  Pod: [
    [["metadata", "annotations"], "string map"],
    [["spec", "nodeName"], "string"],
  ],
};
const METADATA_TYPES: [path: string[], type: "string" | "string map"][] = [
  [["metadata", "name"], "string"],
  [["metadata", "namespace"], "string"],
  [["metadata", "labels"], "string map"],
];

function typeProblem(value: unknown, type: "string" | "string map"): string | undefined {
  const got = (v: unknown) => `got ${typeof v} ${JSON.stringify(v)}; quote it`;
  if (type === "string") return typeof value === "string" ? undefined : `must be a string (${got(value)})`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "must be a map of strings";
  const bad = Object.entries(value).find(([, v]) => typeof v !== "string");
  return bad && `.${bad[0]} must be a string (${got(bad[1])})`;
}

/** A field the view reads that has the wrong type, named with its path (`kernelVersion: 5.10` is a number). */
function checkFieldTypes(obj: KubeObject, where: string): void {
  for (const [path, type] of [...METADATA_TYPES, ...(FIELD_TYPES[String(obj.kind)] ?? [])]) {
    const value = path.reduce<unknown>(
      (node, key) =>
        typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined,
      obj,
    );
    if (value === undefined || value === null) continue;
    const problem = typeProblem(value, type);
    if (problem !== undefined) {
      const name = (obj as { metadata?: { name?: unknown } }).metadata?.name;
      const named = typeof name === "string" ? ` ${name}` : "";
      throw new ClusterViewFileError(
        `${where}: ${String(obj.kind)}${named}: ${path.join(".")}${problem.startsWith(".") ? "" : ": "}${problem}`,
      );
    }
  }
}

export function parseClusterViewText(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseDocuments(text, source)) {
    const found: { obj: KubeObject; where: string }[] = [];
    flatten(doc.value, doc.where, found);
    for (const { obj, where } of found) {
      checkFieldTypes(obj, where);
      objects.push(obj);
    }
  }
  return objects;
}

export class FileClusterView implements ClusterView {
  private readonly nodeMap = new Map<string, NodeFacts>();
  private readonly namespaceMap = new Map<string, NamespaceFacts>();
  private readonly podMap = new Map<string, PodFacts>();
  /** Kinds in the file that no policy reads, reported so nothing is dropped silently. */
  readonly ignoredKinds: string[] = [];

  constructor(
    objects: readonly KubeObject[],
    private readonly config: Config,
  ) {
    for (const obj of objects) {
      switch (obj.kind) {
        case "Node": {
          const facts = nodeFacts(obj as V1Node, config.labels.nodeEligible);
          this.nodeMap.set(facts.name, facts);
          break;
        }
        case "Namespace": {
          const facts = namespaceFacts(obj as V1Namespace);
          this.namespaceMap.set(facts.name, facts);
          break;
        }
        case "Pod": {
          const facts = podFacts(obj as V1Pod);
          this.podMap.set(`${facts.namespace}/${facts.name}`, facts);
          break;
        }
        default:
          this.ignoredKinds.push(String(obj.kind));
      }
    }
  }

  static fromFile(path: string | URL, config: Config): FileClusterView {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new ClusterViewFileError(`cannot read cluster view ${String(path)}: ${(err as Error).message}`);
    }
    return new FileClusterView(parseClusterViewText(text, String(path)), config);
  }

  isSynced(): boolean {
    return true;
  }
  node(name: string): NodeFacts | undefined {
    return this.nodeMap.get(name);
  }
  namespace(name: string): NamespaceFacts | undefined {
    return this.namespaceMap.get(name);
  }
  cvmPod(namespace: string, name: string): PodFacts | undefined {
    const pod = this.podMap.get(`${namespace}/${name}`);
    return pod?.labels[this.config.labels.podOptIn] === "true" ? pod : undefined;
  }
  nodes(): Iterable<NodeFacts> {
    return this.nodeMap.values();
  }
  namespaces(): Iterable<NamespaceFacts> {
    return this.namespaceMap.values();
  }
  async readNode(name: string): Promise<NodeFacts | undefined> {
    return this.nodeMap.get(name);
  }
  async readPod(namespace: string, name: string): Promise<PodFacts | undefined> {
    return this.podMap.get(`${namespace}/${name}`);
  }
}
