// Renders the chart as `helm template` does: with `helm` when it is on PATH, else with the offline
// renderer named by $HELM_TEMPLATE (CI sets it; see the skip reason below). No helm binary
// can be installed here, so without either the render tests are skipped and say why.

import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const CHART_DIR = fileURLToPath(new URL("../../charts/cvm-admission", import.meta.url));

export interface Renderer {
  name: string;
  binary: string;
}

function helmOnPath(): Renderer | undefined {
  const probe = spawnSync("helm", ["version", "--short"], { encoding: "utf8" });
  return probe.status === 0 ? { name: `helm ${probe.stdout.trim()}`, binary: "helm" } : undefined;
}

export function findRenderer(): Renderer | { missing: string } {
  const helm = helmOnPath();
  if (helm) return helm;
  const fromEnv = process.env["HELM_TEMPLATE"];
  if (fromEnv) return { name: `$HELM_TEMPLATE (${fromEnv})`, binary: fromEnv };
  return {
    missing:
      "neither `helm` is on PATH nor $HELM_TEMPLATE is set (set it to a helm-template build; .ci/run does)",
  };
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** --set-json pairs: key -> any JSON value. */
  values?: Record<string, unknown>;
  /** --kube-version: the cluster version the chart is rendered for (the renderer's default otherwise). */
  kubeVersion?: string;
}

export function renderText(
  renderer: Renderer,
  { release = "cvm-admission", namespace = "cvm-system", values = {}, kubeVersion }: RenderOptions = {},
): string {
  const flags = Object.entries(values).flatMap(([key, value]) => [
    "--set-json",
    `${key}=${JSON.stringify(value)}`,
  ]);
  if (kubeVersion !== undefined) flags.push("--kube-version", kubeVersion);
  return execFileSync(renderer.binary, ["template", release, CHART_DIR, "-n", namespace, ...flags], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function render(renderer: Renderer, options: RenderOptions = {}): Manifest[] {
  return parseAllDocuments(renderText(renderer, options))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** The renderer's error output for values it must refuse. */
export function renderError(renderer: Renderer, options: RenderOptions): string {
  try {
    renderText(renderer, options);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error("the chart rendered although it should have refused these values");
}
