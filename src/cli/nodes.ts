// `cvm-admission nodes [--cluster-view F] [-o table|json] [--config F]`: every node with its kernel
// verdict, kernel, OS image, and whether its eligibility label agrees with the verdict. Reads the
// live cluster (kubectl's credentials) unless a cluster-view file is given.

import { FileClusterView } from "../cluster/file-view.js";
import { defaultKubeClient, listNodeFacts } from "../cluster/live/snapshot.js";
import type { NodeFacts } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import { kernelFloor } from "../policies/nodes/kernel-floor.js";
import { eligibleLabelValue, nodeJudgement } from "../policies/nodes/eligibility.js";
import { parseCommandArgs, UsageError } from "./args.js";
import type { Command } from "./io.js";

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

/** Nodes from the cluster-view file when given, else from the live cluster. */
export async function readNodes(config: Config, clusterView: string | undefined): Promise<NodeFacts[]> {
  if (clusterView !== undefined) return [...FileClusterView.fromFile(clusterView, config).nodes()];
  return listNodeFacts(defaultKubeClient(), config);
}

export const nodesCommand: Command = async (args, io) => {
  const { values } = parseCommandArgs("nodes", args, {
    "cluster-view": { type: "string" },
    output: { type: "string", short: "o", default: "table" },
    config: { type: "string" },
  });
  if (!(OUTPUTS as readonly string[]).includes(values.output))
    throw new UsageError(`nodes: -o must be one of ${OUTPUTS.join(", ")}`);
  const config = loadConfig(values.config === undefined ? {} : { file: values.config });
  let nodes: NodeFacts[];
  try {
    nodes = await readNodes(config, values["cluster-view"]);
  } catch (err) {
    if (values["cluster-view"] !== undefined) throw err; // file errors are reported by the CLI as usual
    io.stderr(`nodes: cannot read the cluster: ${(err as Error).message}\n`);
    return 2;
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
};
