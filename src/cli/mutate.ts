// `cvm-admission mutate -f FILE [-o patched|patch|review]`: the mutating webhook offline, like
// `kyverno apply`. Input is treated as opted in (label and namespace); the request
// goes through the same dispatch as the server, so the CLI and the webhook cannot disagree.

import { readFileSync } from "node:fs";
import type { V1Pod } from "@kubernetes/client-node";
import fastJsonPatch from "fast-json-patch";
import { stringify } from "yaml";
import { admit } from "../admission/dispatch.js";
import type { CheckedReview } from "../admission/review.js";
import { ADMISSION_V1, type AdmissionResponse } from "../kube/admission-review.js";
import { parseClusterViewText, EMBEDDED_VIEW_FILE, FileClusterView } from "../cluster/file-view.js";
import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import { silentLogger } from "../telemetry/logger.js";
import { parseCommandArgs, UsageError } from "./args.js";
import type { Command } from "./io.js";
import { podFor, withPod, type KubeObject } from "./pod-templates.js";

const OUTPUTS = ["patched", "patch", "review"] as const;
type Output = (typeof OUTPUTS)[number];

/** Every namespace looks opted in: `mutate` judges the pod, not where it will be created. */
function optedInView(view: ClusterView, config: Config): ClusterView {
  return Object.assign(Object.create(view) as ClusterView, {
    namespace: (name: string) => ({
      name,
      labels: { ...view.namespace(name)?.labels, [config.labels.namespaceOptIn]: "true" },
    }),
  });
}

function reviewFor(pod: V1Pod, index: number): CheckedReview {
  return {
    ok: true,
    apiVersion: ADMISSION_V1,
    request: {
      uid: `cvm-admission-cli-${index}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: pod.metadata?.namespace ?? "default",
      name: pod.metadata?.name ?? "",
      operation: "CREATE",
      userInfo: { username: "cvm-admission-cli" },
      object: pod,
      dryRun: true,
    },
  };
}

function describeObject(obj: KubeObject, index: number): string {
  return `${obj.kind ?? "object"} ${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name ?? `#${index + 1}`}`;
}

export const mutateCommand: Command = async (args, io) => {
  const { values } = parseCommandArgs("mutate", args, {
    file: { type: "string", short: "f" },
    output: { type: "string", short: "o", default: "patched" },
    config: { type: "string" },
    "cluster-view": { type: "string" },
  });
  if (values.file === undefined) throw new UsageError("mutate: -f FILE is required (- reads standard input)");
  const output = values.output as Output;
  if (!OUTPUTS.includes(output)) throw new UsageError(`mutate: -o must be one of ${OUTPUTS.join(", ")}`);

  const config = loadConfig({ file: values.config });
  const baseView = FileClusterView.fromFile(values["cluster-view"] ?? EMBEDDED_VIEW_FILE, config);
  const deps = { view: optedInView(baseView, config), config, logger: silentLogger };
  const text = readFileSync(values.file === "-" ? 0 : values.file, "utf8");
  const asJson = /^\s*[[{]/.test(text);
  const objects = parseClusterViewText(text, values.file) as KubeObject[];

  let denied = false;
  const results: unknown[] = [];
  for (const [index, obj] of objects.entries()) {
    const pod = podFor(obj);
    if (pod === undefined) {
      if (output === "patched") results.push(obj);
      continue;
    }
    pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, [config.labels.podOptIn]: "true" } };
    const review = await admit("mutate", reviewFor(pod, index), deps);
    const response = review.response as AdmissionResponse;
    for (const warning of response.warnings ?? [])
      io.stderr(`warning: ${describeObject(obj, index)}: ${warning}\n`);
    if (!response.allowed) {
      denied = true;
      io.stderr(`denied: ${describeObject(obj, index)}: ${response.status?.message ?? "no reason given"}\n`);
      continue;
    }
    const patch = response.patch ? JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) : [];
    if (output === "review") results.push(review);
    else if (output === "patch") results.push(patch);
    else results.push(withPod(obj, fastJsonPatch.applyPatch(pod, patch, true, false).newDocument));
  }

  if (asJson || output !== "patched") {
    const body = results.length === 1 ? results[0] : results;
    if (results.length > 0) io.stdout(JSON.stringify(body, null, 2) + "\n");
  } else {
    io.stdout(results.map((r) => stringify(r)).join("---\n"));
  }
  return denied ? 1 : 0;
};
