// The cluster of examples/cluster-view.yaml (the one `serve` embeds), for tests that admit
// reviews against a known set of nodes, namespaces and CVM pods.

import { readFileSync } from "node:fs";
import { FileClusterView, parseClusterViewText } from "../../src/cluster/file-view.js";
import type { Config } from "../../src/config/config.js";

export function exampleClusterObjects() {
  const file = new URL("../../examples/cluster-view.yaml", import.meta.url);
  return parseClusterViewText(readFileSync(file, "utf8"), "examples/cluster-view.yaml");
}

export function exampleClusterView(config: Config): FileClusterView {
  return new FileClusterView(exampleClusterObjects(), config);
}

/** The request of the scheduler binding the view's cached CVM pod default/workspace-alice to `node`. */
export function exampleCvmPodBinding(node: string): Record<string, unknown> {
  return {
    uid: `bind-${node}`,
    kind: { group: "", version: "v1", kind: "Binding" },
    subResource: "binding",
    name: "workspace-alice",
    namespace: "default",
    object: {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name: "workspace-alice", namespace: "default" },
      target: { kind: "Node", name: node },
    },
  };
}
