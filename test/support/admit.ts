// Drives a request through kube-apiserver's own admission webhook code ($KUBE_ADMIT, an admit
// harness built from it): TLS and caBundle checks, service resolution, strict JSON patch
// application, reinvocation. The nearest thing to a cluster that runs here; tests that need it
// skip, saying why, when the variable is not set.

import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export const KUBE_ADMIT = process.env["KUBE_ADMIT"];
export const ADMIT_SKIP_REASON = "KUBE_ADMIT is not set (set it to an admit binary; .ci/run does)";

export interface AdmitRequest {
  webhookConfigurations: object[];
  object: object;
  oldObject?: object;
  namespace: object;
  operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  subresource?: string;
  subObject?: object;
  user?: string;
  groups?: string[];
  dryRun?: boolean;
  /** Where the webhook Service (namespace/name) is dialed; several for several webhook servers. */
  serviceAddr: string | string[];
}

export interface AdmitResult {
  allowed: boolean;
  deniedIn?: string;
  status?: { code: number; message: string };
  object?: Record<string, unknown>;
  warnings?: string[];
  webhookCalls?: { name: string; calls: number; byCode: Record<string, number>; rejected: number }[];
  harnessError?: string;
  notes?: string[];
}

export async function admit(request: AdmitRequest): Promise<AdmitResult> {
  if (!KUBE_ADMIT) throw new Error(ADMIT_SKIP_REASON);
  const dir = mkdtempSync(join(tmpdir(), "cvm-admit-"));
  const file = (name: string, content: object) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const args = [
    "--object",
    file("object.json", request.object),
    "--namespace-object",
    file("namespace.json", request.namespace),
    "--operation",
    request.operation ?? "CREATE",
    ...[request.serviceAddr].flat().flatMap((addr) => ["--service-addr", addr]),
    "--user",
    request.user ?? "alice",
  ];
  for (const [i, config] of request.webhookConfigurations.entries()) {
    const kind = (config as { kind?: string }).kind;
    args.push(
      kind === "MutatingWebhookConfiguration" ? "--mutating" : "--validating",
      file(`webhook-${i}.json`, config),
    );
  }
  for (const group of request.groups ?? []) args.push("--group", group);
  if (request.oldObject) args.push("--old-object", file("old.json", request.oldObject));
  if (request.subresource) args.push("--subresource", request.subresource);
  if (request.subObject) args.push("--sub-object", file("sub.json", request.subObject));
  if (request.dryRun) args.push("--dry-run");
  // Exit 1 means "denied", which is a result, not a failure.
  const { stdout } = await promisify(execFile)(KUBE_ADMIT, args, { timeout: 60_000 }).catch(
    (err: { code?: number; stdout?: string; stderr?: string }) => {
      if (err.code === 1 && err.stdout) return { stdout: err.stdout };
      throw new Error(`admit failed (exit ${err.code}): ${err.stderr ?? ""}${err.stdout ?? ""}`);
    },
  );
  return JSON.parse(stdout) as AdmitResult;
}
