// Where the commands that read a cluster find it: kubectl's rules (--kubeconfig, else $KUBECONFIG,
// else ~/.kube/config, else the in-cluster service account) and --context. With none of these,
// client-node falls back to http://localhost:8080 and fails later with an unrelated TLS message;
// here that is a one-line error saying what to pass instead.

import { KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "./args.js";

export interface ClusterFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

/** client-node's stand-in when it found no configuration (loadFromDefault's last resort). */
function isFallback(kubeConfig: KubeConfig): boolean {
  return (
    kubeConfig.getCurrentContext() === "loaded-context" &&
    kubeConfig.getCurrentCluster()?.server === "http://localhost:8080" &&
    kubeConfig.getCurrentUser()?.name === "user"
  );
}

export function loadKubeConfig(flags: ClusterFlags): KubeConfig {
  const kubeConfig = new KubeConfig();
  const source = flags.kubeconfig ?? process.env["KUBECONFIG"] ?? "the default kubeconfig";
  try {
    if (flags.kubeconfig !== undefined) kubeConfig.loadFromFile(flags.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (err) {
    throw new UsageError(`cannot read kubeconfig ${source}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (isFallback(kubeConfig))
    throw new UsageError(
      "no cluster configuration: pass --kubeconfig FILE or set KUBECONFIG (or run inside a cluster); " +
        "--cluster-view FILE reads a file instead",
    );
  const contexts = kubeConfig.getContexts().map((c) => c.name);
  if (flags.context !== undefined) {
    if (!contexts.includes(flags.context))
      throw new UsageError(
        `context ${JSON.stringify(flags.context)} is not in ${source} (contexts: ${contexts.join(", ") || "none"})`,
      );
    kubeConfig.setCurrentContext(flags.context);
  }
  if (kubeConfig.getCurrentCluster() === null)
    throw new UsageError(
      `${source} names no current context with a cluster: pass --context NAME (contexts: ${contexts.join(", ") || "none"})`,
    );
  return kubeConfig;
}
