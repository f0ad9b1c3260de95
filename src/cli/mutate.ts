// `cvm-admission mutate -f FILE`: the mutating webhook offline, like `kyverno apply`. Input is
// treated as opted in (label and namespace); the request goes through the same
// dispatch as the server, so the CLI and the webhook cannot disagree. Input is read as kubectl
// reads it (src/cluster/documents.ts) and every document keeps its shape: a List stays a List.

import type { V1Pod } from "@kubernetes/client-node";
import fastJsonPatch from "fast-json-patch";
import { Document } from "yaml";
import { admit } from "../admission/dispatch.js";
import { podShapeProblems } from "../kube/pod-shape.js";
import type { CheckedReview } from "../admission/review.js";
import { ADMISSION_V1, type AdmissionResponse, type AdmissionReview } from "../kube/admission-review.js";
import { parseDocuments, type SourceDocument } from "../cluster/documents.js";
import { EMBEDDED_VIEW_FILE, FileClusterView, inferredKind } from "../cluster/file-view.js";
import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { silentLogger } from "../telemetry/logger.js";
import { defineCommand, UsageError } from "./args.js";
import { CLUSTER_VIEW_FLAG, CONFIG_FLAG, configOfFlag } from "./flags.js";
import type { CliIO } from "./io.js";
import { readInput } from "./input.js";
import { podFor, podPath, withPod, type KubeObject } from "./pod-templates.js";

const OUTPUTS = ["patched", "yaml", "json", "patch", "review"] as const;
type Output = (typeof OUTPUTS)[number];

/** etcd's default request limit (--max-request-bytes): a larger object is refused on create. */
const ETCD_REQUEST_LIMIT_BYTES = 1.5 * 1024 * 1024;

/** What became of one object of the input. */
interface Outcome {
  /** "FILE: document N" or "FILE: document N: items[i]". */
  where: string;
  /** "Pod default/web", "Deployment default/web", "Pod default/web-*" for a generateName. */
  object: string;
  /** The object to print: mutated, or unchanged for kinds without a pod; absent when denied or invalid. */
  output?: KubeObject;
  patch?: unknown[];
  review?: AdmissionReview;
  denied?: boolean;
  /** Fields of the wrong type: the object was not admitted at all. */
  invalid?: string[];
}

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
      // A generateName pod has no name yet when admission sees it.
      name: pod.metadata?.name ?? "",
      operation: "CREATE",
      userInfo: { username: "cvm-admission-cli" },
      object: pod,
      dryRun: true,
    },
  };
}

function describeObject(obj: KubeObject): string {
  const { namespace, name, generateName } = obj.metadata ?? {};
  const shown = name ?? (generateName === undefined ? "(no name)" : `${generateName}*`);
  return `${obj.kind ?? "object"} ${namespace ? namespace + "/" : ""}${shown}`;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** What judging needs, and the count that numbers the reviews' uids. */
interface Judging {
  deps: Parameters<typeof admit>[2];
  config: Config;
  io: CliIO;
  count: number;
}

/** Admits one object's pod and reports what a user should know on stderr. */
async function judge(judging: Judging, raw: unknown, where: string): Promise<Outcome> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { where, object: "(not an object)", invalid: [`expected an object, got ${JSON.stringify(raw)}`] };
  const kind = (raw as KubeObject).kind ?? inferredKind(raw);
  const obj = { ...(raw as KubeObject), ...(kind === undefined ? {} : { kind }) };
  const object = describeObject(obj);
  if (typeof obj.kind !== "string") return { where, object, invalid: ["the object has no kind"] };
  const path = podPath(obj);
  if (path === undefined) return { where, object, output: obj };
  const pod = podFor(obj);
  const prefix = path === "" ? "" : `${path}.`;
  if (pod === undefined)
    return { where, object, invalid: [`${path}: a ${obj.kind} needs a pod template object`] };
  const problems = podShapeProblems(pod);
  if (problems.length > 0) return { where, object, invalid: problems.map((p) => prefix + p) };

  const say = (what: string, text: string) => judging.io.stderr(`${what}: ${where}: ${object}: ${text}\n`);
  const optIn = judging.config.labels.podOptIn;
  if (pod.metadata?.labels?.[optIn] !== "true")
    say(
      "note",
      `has no label ${optIn}: "true", so the webhook would not be called for it (judged here as if it had)`,
    );
  const inputBytes = jsonBytes(raw);
  if (inputBytes > ETCD_REQUEST_LIMIT_BYTES)
    say(
      "note",
      `${inputBytes} bytes as JSON: the apiserver would refuse it (over etcd's 1.5 MiB request limit)`,
    );

  pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, [optIn]: "true" } };
  const review = await admit("mutate", reviewFor(pod, judging.count++), judging.deps);
  const response = review.response as AdmissionResponse;
  for (const warning of response.warnings ?? []) say("warning", warning);
  if (!response.allowed) {
    say("denied", response.status?.message ?? "no reason given");
    return { where, object, review, denied: true };
  }
  const patch = (
    response.patch ? JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) : []
  ) as [];
  const output = withPod(obj, fastJsonPatch.applyPatch(pod, patch, true, false).newDocument);
  const outputBytes = jsonBytes(output);
  if (inputBytes <= ETCD_REQUEST_LIMIT_BYTES && outputBytes > ETCD_REQUEST_LIMIT_BYTES)
    say(
      "note",
      `${outputBytes} bytes as JSON once mutated: over etcd's 1.5 MiB request limit, the apiserver would refuse it`,
    );
  return { where, object, output, patch, review };
}

/** A document with its objects replaced by their outcomes, keeping its shape (object, List, array). */
interface JudgedDocument {
  source: SourceDocument;
  outcomes: Outcome[];
  /** The document to print, or undefined when its only object was denied or invalid. */
  output: unknown;
}

async function judgeDocument(judging: Judging, doc: SourceDocument): Promise<JudgedDocument> {
  const value = doc.value as { kind?: unknown; items?: unknown };
  const isList =
    !Array.isArray(value) &&
    typeof value === "object" &&
    typeof value.kind === "string" &&
    value.kind.endsWith("List") &&
    Array.isArray(value.items);
  const items = Array.isArray(value) ? value : isList ? (value.items as unknown[]) : undefined;
  if (items === undefined) {
    const outcome = await judge(judging, doc.value, doc.where);
    return { source: doc, outcomes: [outcome], output: outcome.output };
  }
  const outcomes: Outcome[] = [];
  for (const [i, item] of items.entries()) {
    // A typed list's items come without kind from the apiserver (a PodList's items are Pods).
    const itemKind =
      isList && value.kind !== "List" ? (value.kind as string).slice(0, -"List".length) : undefined;
    const typed =
      itemKind && typeof item === "object" && item !== null && !("kind" in item)
        ? { kind: itemKind, ...item }
        : item;
    outcomes.push(await judge(judging, typed, `${doc.where}: ${isList ? "items" : ""}[${i}]`));
  }
  const kept = outcomes.flatMap((o) => (o.output === undefined ? [] : [o.output]));
  return { source: doc, outcomes, output: isList ? { ...value, items: kept } : kept };
}

function printDocuments(io: CliIO, docs: JudgedDocument[], json: boolean): void {
  if (json) {
    for (const doc of docs)
      if (doc.output !== undefined) io.stdout(JSON.stringify(doc.output, null, 2) + "\n");
    return;
  }
  // Each YAML document says where it came from; a denied one stays as a comment, so the output
  // still has one document per input document.
  // Written as YAML 1.1 too, so strings such as "yes" or "0400" stay quoted for kubectl.
  const texts = docs.map((doc) => {
    if (doc.output === undefined) return `# ${doc.source.where} (not mutated: see the messages above)\n`;
    const yaml = new Document(doc.output, { version: "1.1" });
    yaml.commentBefore = ` ${doc.source.where}`;
    return yaml.toString();
  });
  io.stdout(texts.join("---\n"));
}

export const mutateCommand = defineCommand(
  {
    name: "mutate",
    usage: "-f FILE [flags]",
    description:
      "Mutate pods offline as the webhook would (Pods, workloads with a pod template, Lists).\n\n" +
      "Input is YAML (1.1, as kubectl reads it) or JSON, one or more documents; a List stays a List\n" +
      "and other kinds are printed unchanged. Every object is judged as opted in (label and\n" +
      "namespace); a note says when the webhook would not be called for it or the apiserver would\n" +
      "refuse it. Warnings, denials and input errors go to stderr, each naming its document.\n" +
      "-o patched prints the mutated documents in the input's format; yaml and json choose it.\n" +
      '-o patch and -o review print one JSON object per pod: {"document", "object", "patch"|"review"}.',
    flags: {
      file: { type: "string", short: "f", value: "FILE", help: "the input; - reads standard input" },
      output: {
        type: "string",
        short: "o",
        value: "FORMAT",
        default: "patched",
        help: "patched, yaml, json, patch or review",
      },
      config: CONFIG_FLAG,
      "cluster-view": {
        ...CLUSTER_VIEW_FLAG,
        help: "cluster view for node and pod facts (default: the embedded one)",
      },
    },
    examples: [
      "cvm-admission mutate -f examples/pod-cvm.yaml",
      "kubectl get deploy web -o yaml | cvm-admission mutate -f - -o patch | jq .patch",
      "cvm-admission mutate -f pods.json -o review",
    ],
    exitCodes: {
      0: "every object allowed",
      1: "at least one object denied (the reasons on stderr)",
      2: "usage error, unreadable or empty input, an object with fields of the wrong type",
    },
  },
  async (values, io) => {
    if (values.file === undefined)
      throw new UsageError("mutate: -f FILE is required (- reads standard input)");
    const output = values.output as Output;
    if (!OUTPUTS.includes(output)) throw new UsageError(`mutate: -o must be one of ${OUTPUTS.join(", ")}`);

    const config = configOfFlag(values.config);
    const baseView = FileClusterView.fromFile(values["cluster-view"] ?? EMBEDDED_VIEW_FILE, config);
    const deps = { view: optedInView(baseView, config), config, logger: silentLogger };
    const source = values.file === "-" ? "stdin" : values.file;
    const documents = parseDocuments(readInput(values.file, "-f"), source);

    const judging: Judging = { deps, config, io, count: 0 };
    const judged: JudgedDocument[] = [];
    for (const doc of documents) judged.push(await judgeDocument(judging, doc));
    const outcomes = judged.flatMap((d) => d.outcomes);
    if (outcomes.length === 0) throw new UsageError(`input: ${source} holds no objects`);
    const invalid = outcomes.filter((o) => o.invalid !== undefined);
    for (const o of invalid)
      for (const problem of o.invalid!) io.stderr(`input: ${o.where}: ${o.object}: ${problem}\n`);

    if (output === "patch" || output === "review") {
      for (const o of outcomes) {
        const body = output === "patch" ? o.patch : o.review;
        if (body !== undefined)
          io.stdout(JSON.stringify({ document: o.where, object: o.object, [output]: body }, null, 2) + "\n");
      }
    } else {
      printDocuments(io, judged, output === "json" || (output === "patched" && documents[0]?.json === true));
    }
    if (invalid.length > 0) return 2;
    return outcomes.some((o) => o.denied) ? 1 : 0;
  },
);
