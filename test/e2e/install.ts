// `helm install` as far as kube-mini can take it: the chart rendered with its default values, the
// kinds kube-mini serves created through the API (ServiceAccount, ConfigMap, Service, both webhook
// configurations, a Secret when the values render one); the rest (Deployment, PodDisruptionBudget,
// RBAC) is of API groups kube-mini does not serve, so nothing would read it: the test runs the
// Deployment's process itself, with the ConfigMap's config.yaml as its configuration file.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { findRenderer, render, type Manifest, type RenderOptions } from "../chart/render.js";

export const RELEASE_NAMESPACE = "cvm-system";

/** The kinds of the chart that kube-mini serves (its README's resource table). */
const SERVED_KINDS = new Set([
  "ServiceAccount",
  "ConfigMap",
  "Service",
  "Secret",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
]);

export interface Installed {
  /** What was created, by kind. */
  kinds: string[];
  /** The rendered ConfigMap's config.yaml, written to a file for `serve --config`. */
  configFile: string;
}

/** Renders the chart, creates the release namespace and what kube-mini serves of the chart. */
export async function installChart(
  kubeConfig: KubeConfig,
  dir: string,
  options: RenderOptions = {},
): Promise<Installed> {
  const renderer = findRenderer();
  if ("missing" in renderer) throw new Error(renderer.missing);
  const manifests = render(renderer, { namespace: RELEASE_NAMESPACE, ...options });
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: RELEASE_NAMESPACE } });
  const served = manifests.filter((m) => SERVED_KINDS.has(m.kind));
  for (const manifest of served) await objects.create(manifest as KubernetesObject);

  const configMap = manifests.find((m) => m.kind === "ConfigMap") as
    (Manifest & { data?: Record<string, string> }) | undefined;
  const config = configMap?.data?.["config.yaml"];
  if (config === undefined) throw new Error("the chart rendered no ConfigMap with config.yaml");
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, "config.yaml");
  writeFileSync(configFile, config);
  return { kinds: served.map((m) => m.kind), configFile };
}
