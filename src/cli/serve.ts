// `cvm-admission serve`: the composition root. Wires config, cluster view, certificates, the
// HTTPS server and (in a cluster) the leader's background work; shuts all of it down on SIGTERM.

import { join } from "node:path";
import { ensureDevCertificates, readCertificateSet } from "../certs/files.js";
import { EMBEDDED_VIEW_FILE, FileClusterView } from "../cluster/file-view.js";
import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import { createApp } from "../server/app.js";
import { startHttpsServer } from "../server/https.js";
import { createLogger, type Logger } from "../telemetry/logger.js";
import { parseCommandArgs, UsageError } from "./args.js";
import type { Command } from "./io.js";

function resolveConfig(values: {
  config?: string;
  port?: string;
  "cluster-view"?: string;
  "certs-dir"?: string;
}): Config {
  const config = loadConfig(values.config === undefined ? {} : { file: values.config });
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

function openView(config: Config): ClusterView {
  const source = config.cluster.source;
  if (source === "embedded") return FileClusterView.fromFile(EMBEDDED_VIEW_FILE, config);
  return FileClusterView.fromFile(source, config);
}

/** Operator-supplied files (--certs-dir) are used as they are; otherwise a development set is
 * created under certs/ and reused until due for renewal. */
async function servingPair(config: Config, operatorSupplied: boolean, logger: Logger) {
  const dir = config.server.certsDir;
  if (!operatorSupplied) {
    const ensured = await ensureDevCertificates(dir);
    if (ensured.created) logger.info({ dir, reason: ensured.reason }, "generated development certificates");
  }
  const set = await readCertificateSet(dir);
  return { cert: set.certPem, key: set.keyPem };
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
  const view = openView(config);
  const running = await startHttpsServer(
    createApp({ view, config, logger, isReady: () => view.isSynced() && !running.isShuttingDown() }),
    {
      tls: await servingPair(config, values["certs-dir"] !== undefined, logger),
      port: config.server.port,
      host: config.server.host,
      maxConnections: config.server.maxConnections,
    },
  );
  announce(logger, config, running.port);

  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    void running.shutdown().then(() => {
      logger.info("shut down cleanly");
      process.exit(0);
    });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return 0;
};
