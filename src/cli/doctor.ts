// `cvm-admission doctor [--cluster-view F] [--config F]`: a preflight of a cluster for CVMs (first
// version): nodes by kernel verdict, the opted-in namespaces with their Pod Security and Istio
// labels judged by the same policies the webhook runs, and (live only) whether our webhook
// configurations and the sysbox RuntimeClass exist. Exit 0: no problems; 1: problems found.

import type { V1Pod } from "@kubernetes/client-node";
import { FileClusterView } from "../cluster/file-view.js";
import { KubeClient } from "../cluster/live/kube-client.js";
import { listNamespaceFacts, listNodeFacts, objectExists } from "../cluster/live/snapshot.js";
import type { NamespaceFacts, NodeFacts } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { kernelFloor, kernelFloorNote } from "../cluster/kernel-floor.js";
import { podSecurityPrecheck } from "../policies/access/pod-security.js";
import { formOf } from "../policies/cvm/forms/index.js";
import { describeFinding, isConflict } from "../policies/istio/conflict.js";
import { namespacesCapturingCvmPods } from "../policies/istio/doctor.js";
import { nodeRows } from "./nodes.js";
import { defineCommand } from "./args.js";
import { CLUSTER_FLAGS, CLUSTER_VIEW_FLAG, CONFIG_FLAG, configOfFlag } from "./flags.js";
import { loadKubeConfig } from "./kube-config.js";

interface Report {
  lines: string[];
  problems: number;
  warnings: number;
}

function problem(report: Report, text: string): void {
  report.problems++;
  report.lines.push(`  PROBLEM  ${text}`);
}
function warn(report: Report, text: string): void {
  report.warnings++;
  report.lines.push(`  warning  ${text}`);
}
function ok(report: Report, text: string): void {
  report.lines.push(`  ok       ${text}`);
}

function checkNodes(report: Report, nodes: NodeFacts[], config: Config): void {
  report.lines.push(`Nodes (CVMs need Linux with kernel ${kernelFloor(config)} or newer):`);
  const note = kernelFloorNote(config);
  if (note !== undefined) report.lines.push(`  (${note})`);
  const rows = nodeRows(nodes, config);
  const counts = new Map<string, string[]>();
  for (const row of rows) counts.set(row.verdict, [...(counts.get(row.verdict) ?? []), row.name]);
  for (const verdict of ["eligible", "below-minimum", "not-linux", "unparseable"])
    report.lines.push(`  ${verdict.padEnd(14)} ${counts.get(verdict)?.length ?? 0}`);
  if (!counts.has("eligible")) problem(report, "no eligible node: CVM pods cannot be scheduled anywhere");
  else ok(report, `${counts.get("eligible")!.length} of ${rows.length} nodes can run CVMs`);
  const stale = rows.filter((r) => !r.labelAgrees);
  if (config.nodes.labels && stale.length > 0)
    warn(report, `${stale.length} node(s) whose ${config.labels.nodeEligible} label disagrees with the verdict ` +
      `(the leader fixes them while the webhook runs): ${listed(stale.map((r) => r.name))}`); // prettier-ignore
  // The softer sysbox requirements, grouped: thousands of identical nodes make one line each.
  const softWarnings = new Map<string, string[]>();
  for (const row of rows)
    for (const w of row.warnings) softWarnings.set(w, [...(softWarnings.get(w) ?? []), row.name]);
  for (const [text, names] of softWarnings) warn(report, `${listed(names)}: ${text}`);
}

const SHOWN_NAMES = 5;

/** Names for a line of the report: the first few, then how many more. */
function listed(names: readonly string[]): string {
  const more = names.length - SHOWN_NAMES;
  return names.slice(0, SHOWN_NAMES).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/** The webhook's own Pod Security pre-check, run for a bare CVM pod in the namespace. */
function checkPodSecurity(report: Report, ns: NamespaceFacts, view: FileClusterView, config: Config): void {
  const pod: V1Pod = { metadata: { namespace: ns.name, labels: { [config.labels.podOptIn]: "true" } } };
  const decision = podSecurityPrecheck(pod, {
    request: {
      uid: "cvm-admission-doctor",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: ns.name,
      operation: "CREATE",
      userInfo: { username: "cvm-admission-doctor" },
    },
    view,
    config,
  });
  if (!decision.allowed) decision.reasons.forEach((reason) => problem(report, reason));
  decision.warnings.forEach((warning) => warn(report, warning));
}

function checkNamespaces(report: Report, namespaces: NamespaceFacts[], config: Config): void {
  const optedIn = namespaces
    .filter((ns) => ns.labels[config.labels.namespaceOptIn] === "true")
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  report.lines.push(`Namespaces opted in (${config.labels.namespaceOptIn}=true):`);
  if (optedIn.length === 0) {
    warn(
      report,
      `no namespace is opted in: label one with kubectl label namespace NAME ${config.labels.namespaceOptIn}=true`,
    );
    return;
  }
  const view = new FileClusterView(
    optedIn.map((ns) => ({ kind: "Namespace", metadata: { name: ns.name, labels: { ...ns.labels } } })),
    config,
  );
  const mesh = new Map(namespacesCapturingCvmPods(optedIn).map((m) => [m.namespace, m.finding]));
  for (const ns of optedIn) {
    const psa = ["enforce", "warn", "audit"]
      .map((mode) => `${mode}=${ns.labels[`pod-security.kubernetes.io/${mode}`] ?? "-"}`)
      .join(" ");
    const istio = ["istio-injection", "istio.io/rev", "istio.io/dataplane-mode"]
      .filter((key) => ns.labels[key] !== undefined)
      .map((key) => `${key}=${ns.labels[key]}`);
    ok(
      report,
      `${ns.name}: Pod Security ${psa}; Istio labels: ${istio.length > 0 ? istio.join(" ") : "none"}`,
    );
    checkPodSecurity(report, ns, view, config);
    const finding = mesh.get(ns.name);
    if (finding !== undefined) {
      const text = `${ns.name}: Istio would capture CVM pods (${describeFinding(finding)}); istio.policy is ${config.istio.policy}`;
      if (isConflict(finding, config) && config.istio.policy === "deny") problem(report, text);
      else warn(report, text);
    }
  }
}

async function checkClusterObjects(report: Report, client: KubeClient, config: Config): Promise<void> {
  const name = config.certificates.webhookConfigurationName;
  report.lines.push("Cluster objects:");
  for (const kind of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
    const path = `/apis/admissionregistration.k8s.io/v1/${kind}/${encodeURIComponent(name)}`;
    if (await objectExists(client, path)) ok(report, `${kind} ${name} exists`);
    else problem(report, `${kind} ${name} is missing: install the chart (charts/cvm-admission)`);
  }
  const runtimeClass = config.runtimeClass.name;
  const present = await objectExists(
    client,
    `/apis/node.k8s.io/v1/runtimeclasses/${encodeURIComponent(runtimeClass)}`,
  );
  if (present) ok(report, `RuntimeClass ${runtimeClass} exists`);
  else if (formOf(config).usesRuntimeClass)
    problem(
      report,
      `RuntimeClass ${runtimeClass} is missing: the ${config.form} form needs ${formOf(config).nodesNeed}`,
    );
  else ok(report, `RuntimeClass ${runtimeClass} is absent (not needed by the ${config.form} form)`);
}

export const doctorCommand = defineCommand(
  {
    name: "doctor",
    description: "Preflight a cluster for CVMs: kernels, opted-in namespaces, Istio, webhooks, RuntimeClass",
    usage: "[flags]",
    flags: { "cluster-view": CLUSTER_VIEW_FLAG, config: CONFIG_FLAG, ...CLUSTER_FLAGS },
    examples: ["cvm-admission doctor", "cvm-admission doctor --kubeconfig ~/.kube/staging --context staging"],
    exitCodes: {
      0: "no problems (warnings may be printed)",
      1: "problems found",
      2: "usage error, unreadable or malformed file, no cluster or cannot read it",
    },
  },
  async (values, io) => {
    const config = configOfFlag(values.config);
    const report: Report = { lines: [], problems: 0, warnings: 0 };
    const file = values["cluster-view"];
    if (file !== undefined) {
      const view = FileClusterView.fromFile(file, config);
      checkNodes(report, [...view.nodes()], config);
      checkNamespaces(report, [...view.namespaces()], config);
      report.lines.push(
        "Cluster objects:",
        "  (not checked: webhook configurations and RuntimeClass need a live cluster)",
      );
    } else {
      const client = new KubeClient(loadKubeConfig(values));
      try {
        checkNodes(report, await listNodeFacts(client, config), config);
        checkNamespaces(report, await listNamespaceFacts(client), config);
        await checkClusterObjects(report, client, config);
      } catch (err) {
        io.stderr(`doctor: cannot read the cluster: ${(err as Error).message}\n`);
        return 2;
      }
    }
    io.stdout(report.lines.join("\n") + "\n");
    io.stdout(`\n${report.problems} problems, ${report.warnings} warnings\n`);
    return report.problems > 0 ? 1 : 0;
  },
);
