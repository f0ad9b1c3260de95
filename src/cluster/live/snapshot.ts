// One-shot reads of a live cluster for the CLI (`nodes`, `doctor`): a list of each collection, no
// watches, with the credentials kubectl would use ($KUBECONFIG, ~/.kube/config, or in-cluster).

import { KubeConfig, type V1Namespace, type V1Node } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { namespaceFacts } from "../facts.js";
import type { NamespaceFacts } from "../view.js";
import { KubeApiError, KubeClient } from "./kube-client.js";
import { listAll } from "./list.js";
import { liveNodeFacts, type LiveNodeFacts } from "./live-view.js";

const CLI_TIMEOUT_MS = 30_000;
const PAGE_SIZE = 500;

export function defaultKubeClient(): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return new KubeClient(kubeConfig);
}

export async function listNodeFacts(client: KubeClient, config: Config): Promise<LiveNodeFacts[]> {
  const list = await listAll<V1Node>(client, "/api/v1/nodes", {
    pageSize: PAGE_SIZE,
    timeoutMs: CLI_TIMEOUT_MS,
  });
  return (list?.items ?? []).map((node) => liveNodeFacts(node, config));
}

export async function listNamespaceFacts(client: KubeClient): Promise<NamespaceFacts[]> {
  const list = await listAll<V1Namespace>(client, "/api/v1/namespaces", {
    pageSize: PAGE_SIZE,
    timeoutMs: CLI_TIMEOUT_MS,
  });
  return (list?.items ?? []).map(namespaceFacts);
}

/** Whether the object at `path` exists (404 is no; any other failure is an error). */
export async function objectExists(client: KubeClient, path: string): Promise<boolean> {
  try {
    await client.request("GET", path, { timeoutMs: CLI_TIMEOUT_MS });
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return false;
    throw err;
  }
}
