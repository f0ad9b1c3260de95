// `cvm-admission serve`: the composition root. Wires config, cluster view, certificates, the
// HTTPS server and (in a cluster) the leader's background work; shuts all of it down on SIGTERM.

import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ensureDevCertificates, initialServingPair, readCertificateSet } from "../certs/files.js";
import { startSelfManagedCertificates } from "../certs/kube.js";
import { watchServingCertificate, type CertificateWatch } from "../certs/reload.js";
import { EMBEDDED_VIEW_FILE, FileClusterView } from "../cluster/file-view.js";
import { startLiveCluster, type LiveCluster } from "../cluster/live/index.js";
import { KubeClient } from "../cluster/live/kube-client.js";
import type { Config } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import { createApp } from "../server/app.js";
import { startHttpsServer, type TlsPair } from "../server/https.js";
import { createLogger, type Logger } from "../telemetry/logger.js";
import { parseCommandArgs, UsageError } from "./args.js";
import type { Command } from "./io.js";

interface ServeFlags {
  config?: string;
  port?: string;
  "cluster-view"?: string;
  "certs-dir"?: string;
}

function resolveConfig(values: ServeFlags): Config {
  const config = loadConfig({ file: values.config });
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`serve: --port must be 0-65535`);
    config.server.port = port;
  }
  if (values["cluster-view"] !== undefined) config.cluster.source = values["cluster-view"];
  if (values["certs-dir"] !== undefined) config.server.certsDir = values["certs-dir"];
  return config;
}

/** The first serving pair. Without a cluster and without --certs-dir, a development set is created
 * under certs/ and reused. Otherwise the files are the operator's (or the mounted Secret's): until
 * they exist a throwaway pair is served and /readyz stays 503. */
async function firstServingPair(config: Config, development: boolean, logger: Logger): Promise<TlsPair> {
  const dir = config.server.certsDir;
  if (development) {
    const ensured = await ensureDevCertificates(dir);
    if (ensured.created) logger.info({ dir, reason: ensured.reason }, "generated development certificates");
    const set = await readCertificateSet(dir);
    return { cert: set.certPem, key: set.keyPem };
  }
  const { serviceName } = config.certificates;
  const namespace = config.certificates.namespace || process.env["POD_NAMESPACE"] || "default";
  const pair = await initialServingPair(dir, { serviceName, namespace });
  if (pair.placeholder) logger.warn({ dir }, "no serving certificate yet; serving a placeholder, not ready");
  return pair;
}

function announce(logger: Logger, config: Config, port: number): void {
  const dir = config.server.certsDir;
  logger.info({ port, certsDir: dir, clusterView: config.cluster.source }, "cvm-admission serving");
  process.stderr.write(
    `\ncvm-admission is serving https://127.0.0.1:${port} (cluster view: ${config.cluster.source})\n` +
      `Send it a CVM pod:\n` +
      `  curl --cacert ${join(dir, "ca.crt")} -H 'Content-Type: application/json' \\\n` +
      `    --data @examples/review-cvm-pod.json https://127.0.0.1:${port}/mutate\n\n`,
  );
}

export const serveCommand: Command = async (args) => {
  const { values } = parseCommandArgs("serve", args, {
    config: { type: "string" },
    port: { type: "string" },
    "cluster-view": { type: "string" },
    "certs-dir": { type: "string" },
  });
  const config = resolveConfig(values);
  const logger = createLogger(config.logging.level);

  let kubeConfig: KubeConfig | undefined;
  let live: LiveCluster | undefined;
  if (config.cluster.source === "live") {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    live = startLiveCluster(config, logger, new KubeClient(kubeConfig));
  }
  const view =
    live?.view ??
    FileClusterView.fromFile(
      config.cluster.source === "embedded" ? EMBEDDED_VIEW_FILE : config.cluster.source,
      config,
    );

  const development = live === undefined && values["certs-dir"] === undefined;
  // Filled in once the server listens (the watch needs it); /readyz may be asked before that.
  const serving: { certificates?: CertificateWatch } = {};
  const running = await startHttpsServer(
    createApp({
      view,
      config,
      logger,
      ...(live ? { events: live.recorder } : {}),
      isReady: () =>
        view.isSynced() && serving.certificates?.current() !== undefined && !running.isShuttingDown(),
    }),
    {
      tls: await firstServingPair(config, development, logger),
      port: config.server.port,
      host: config.server.host,
      maxConnections: config.server.maxConnections,
    },
  );
  // Every replica follows its certificate files (a mounted Secret updates in place).
  serving.certificates = await watchServingCertificate({
    dir: config.server.certsDir,
    server: running.server,
    logger,
  });
  const elector = live?.elector;
  const selfManaged =
    kubeConfig && config.certificates.mode === "selfManaged"
      ? startSelfManagedCertificates({
          config,
          kubeConfig,
          isLeader: () => elector?.isLeader() ?? true,
          logger,
        })
      : undefined;
  announce(logger, config, running.port);

  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    void (async () => {
      await running.shutdown();
      serving.certificates?.close();
      selfManaged?.close();
      await live?.stop();
      logger.info("shut down cleanly");
      process.exit(0);
    })();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return 0;
};
