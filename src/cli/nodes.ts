// `cvm-admission nodes [--cluster-view F] [-o table|json] [--config F]`: every node with its kernel
// verdict, kernel, OS image, and whether its eligibility label agrees with the verdict. Reads the
// live cluster (kubectl's credentials) unless a cluster-view file is given.

import { FileClusterView } from "../cluster/file-view.js";
import { KubeClient } from "../cluster/live/kube-client.js";
import { listNodeFacts } from "../cluster/live/snapshot.js";
import type { NodeFacts } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { kernelFloor } from "../cluster/kernel-floor.js";
import { eligibleLabelValue, nodeJudgement } from "../cluster/eligibility.js";
import { defineCommand, UsageError } from "./args.js";
import { CLUSTER_FLAGS, CLUSTER_VIEW_FLAG, CONFIG_FLAG, configOfFlag } from "./flags.js";
import { loadKubeConfig } from "./kube-config.js";

const OUTPUTS = ["table", "json"] as const;

export interface NodeRow {
  name: string;
  verdict: string;
  reason: string;
  warnings: string[];
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  /** The node's eligibility label, null when it has none. */
  label: string | null;
  labelAgrees: boolean;
}

export function nodeRows(nodes: Iterable<NodeFacts>, config: Config): NodeRow[] {
  return [...nodes]
    .map((node) => {
      const judgement = nodeJudgement(node, kernelFloor(config));
      const want = eligibleLabelValue(judgement);
      return {
        name: node.name,
        verdict: judgement.verdict,
        reason: judgement.reason,
        warnings: judgement.warnings,
        kernelVersion: node.kernelVersion,
        osImage: node.osImage,
        operatingSystem: node.operatingSystem,
        label: node.eligibleLabel ?? null,
        labelAgrees: node.eligibleLabel === want,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function labelColumn(row: NodeRow): string {
  if (row.labelAgrees) return "agrees";
  return row.label === null ? "missing" : `disagrees (${row.label})`;
}

export function formatTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map(
      (r) =>
        r
          .map((cell, col) => cell.padEnd(widths[col]!))
          .join("  ")
          .trimEnd() + "\n",
    )
    .join("");
}

export const nodesCommand = defineCommand(
  {
    name: "nodes",
    description: "List every node with its kernel verdict and whether its eligibility label agrees",
    usage: "[flags]",
    flags: {
      "cluster-view": CLUSTER_VIEW_FLAG,
      output: { type: "string", short: "o", value: "FORMAT", default: "table", help: "table or json" },
      config: CONFIG_FLAG,
      ...CLUSTER_FLAGS,
    },
    examples: [
      "cvm-admission nodes",
      "cvm-admission nodes --context prod -o json",
      "kubectl get nodes -o yaml > nodes.yaml && cvm-admission nodes --cluster-view nodes.yaml",
    ],
    exitCodes: { 0: "listed", 2: "usage error, unreadable or malformed file, no cluster or cannot read it" },
  },
  async (values, io) => {
    if (!(OUTPUTS as readonly string[]).includes(values.output))
      throw new UsageError(`nodes: -o must be one of ${OUTPUTS.join(", ")}`);
    const config = configOfFlag(values.config);
    let nodes: NodeFacts[];
    if (values["cluster-view"] !== undefined)
      nodes = [...FileClusterView.fromFile(values["cluster-view"], config).nodes()];
    else {
      const client = new KubeClient(loadKubeConfig(values));
      try {
        nodes = await listNodeFacts(client, config);
      } catch (err) {
        io.stderr(`nodes: cannot read the cluster: ${(err as Error).message}\n`);
        return 2;
      }
    }
    const rows = nodeRows(nodes, config);
    if (values.output === "json") {
      io.stdout(JSON.stringify(rows, null, 2) + "\n");
      return 0;
    }
    if (rows.length === 0) {
      io.stdout("no nodes\n");
      return 0;
    }
    const header = ["NAME", "VERDICT", "KERNEL", "OS-IMAGE", `LABEL ${config.labels.nodeEligible}`];
    io.stdout(
      formatTable([
        header,
        ...rows.map((r) => [r.name, r.verdict, r.kernelVersion || "-", r.osImage || "-", labelColumn(r)]),
      ]),
    );
    return 0;
  },
);
