// A consistent paged list (limit + continue), shared by the watch caches and the one-shot CLI reads.

import type { KubeClient } from "./kube-client.js";

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

interface KubeList<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

export interface ListOptions {
  labelSelector?: string;
  pageSize: number;
  timeoutMs: number;
  /** Checked between pages: a stopped cache does not fetch the rest. */
  cancelled?: () => boolean;
}

/** Every item of a collection and the list's resourceVersion (undefined when cancelled). */
export async function listAll<T extends KubeObject>(
  client: KubeClient,
  path: string,
  opts: ListOptions,
): Promise<{ items: T[]; resourceVersion: string } | undefined> {
  const items: T[] = [];
  let resourceVersion = "";
  let continueToken: string | undefined;
  do {
    const page = await client.request<KubeList<T>>("GET", path, {
      query: { labelSelector: opts.labelSelector, limit: String(opts.pageSize), continue: continueToken },
      timeoutMs: opts.timeoutMs,
    });
    if (opts.cancelled?.()) return undefined;
    items.push(...(page.items ?? []));
    resourceVersion = page.metadata?.resourceVersion ?? "";
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken !== undefined);
  return { items, resourceVersion };
}
