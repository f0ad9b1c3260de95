// `cvm-admission serve`: the composition root. Wires config, cluster view, certificates, the
// HTTPS server and (in a cluster) the leader's background work; shuts all of it down on SIGTERM.

import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  ensureDevCertificates,
  initialServingPair,
  readCertificateSet,
  type ServingPair,
} from "../certs/files.js";
import { startSelfManagedCertificates } from "../certs/kube.js";
import { watchServingCertificate, type CertificateWatch } from "../certs/reload.js";
import { EMBEDDED_VIEW_FILE, FileClusterView } from "../cluster/file-view.js";
import { startLiveCluster, type LiveCluster } from "../cluster/live/index.js";
import { KubeClient } from "../cluster/live/kube-client.js";
import type { Config } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import { createApp } from "../server/app.js";
import { DRAIN_BOUND_MS, startHttpsServer, type RunningServer, type ServerOptions } from "../server/https.js";
import { createLogger, type Logger } from "../telemetry/logger.js";
import { VERSION } from "../version.js";
import { defineCommand, UsageError } from "./args.js";
import { CLUSTER_FLAGS, CLUSTER_VIEW_FLAG, CONFIG_FLAG } from "./flags.js";
import { loadKubeConfig } from "./kube-config.js";

interface ServeFlags {
  config?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  port?: string | undefined;
  "cluster-view"?: string | undefined;
  "certs-dir"?: string | undefined;
}

function resolveConfig(values: ServeFlags, onServiceLink: (name: string) => void): Config {
  const config = loadConfig({
    ...(values.config === undefined ? {} : { file: values.config }),
    onServiceLink,
  });
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`serve: --port must be 0-65535`);
    config.server.port = port;
  }
  if (values["cluster-view"] !== undefined) config.cluster.source = values["cluster-view"];
  if (values["certs-dir"] !== undefined) config.server.certsDir = values["certs-dir"];
  // Silently serving the embedded view to someone who named a cluster would be worse than refusing.
  if ((values.kubeconfig ?? values.context) !== undefined && config.cluster.source !== "live")
    throw new UsageError(
      `serve: --kubeconfig and --context read a cluster, but cluster.source is ${config.cluster.source} ` +
        "(set cluster.source: live or CVM_ADMISSION_CLUSTER_SOURCE=live)",
    );
  return config;
}

/** The first serving pair. Without a cluster and without --certs-dir, a development set is created
 * under certs/ and reused. Otherwise the files are the operator's (or the mounted Secret's): until
 * they exist a throwaway pair is served and /readyz stays 503. */
async function firstServingPair(config: Config, development: boolean, logger: Logger): Promise<ServingPair> {
  const dir = config.server.certsDir;
  if (development) {
    const ensured = await ensureDevCertificates(dir);
    if (ensured.created) logger.info({ dir, reason: ensured.reason }, "generated development certificates");
    const set = await readCertificateSet(dir);
    return { cert: set.certPem, key: set.keyPem, placeholder: false };
  }
  const { serviceName } = config.certificates;
  const namespace = config.certificates.namespace || process.env["POD_NAMESPACE"] || "default";
  const pair = await initialServingPair(dir, { serviceName, namespace });
  if (pair.placeholder) logger.warn({ dir }, "no serving certificate yet; serving a placeholder, not ready");
  return pair;
}

/** What keeps a fresh server from being ready, and what to do about it; undefined when nothing does. */
function notReadyBecause(config: Config, placeholder: boolean): string | undefined {
  const dir = config.server.certsDir;
  if (placeholder && config.cluster.source === "live")
    return (
      `NOT READY: no usable serving certificate in ${dir} yet; /readyz answers 503 until the certificate\n` +
      `Secret mounted there is filled (certificates.mode: ${config.certificates.mode}); it is picked up without a restart.\n`
    );
  if (placeholder)
    return (
      `NOT READY: no usable serving certificate in ${dir}; /readyz answers 503 and the apiserver will not trust it.\n` +
      `Run: cvm-admission certs generate --out ${dir}   (the files are picked up without a restart)\n`
    );
  if (config.cluster.source === "live")
    return "Not ready until the cluster caches have synced: /readyz answers 503 until then.\n";
  return undefined;
}

function announce(logger: Logger, config: Config, port: number, placeholder: boolean): void {
  const dir = config.server.certsDir;
  logger.info({ port, certsDir: dir, clusterView: config.cluster.source }, "cvm-admission serving");
  process.stderr.write(
    `\ncvm-admission is serving https://127.0.0.1:${port} (cluster view: ${config.cluster.source})\n` +
      (notReadyBecause(config, placeholder) ??
        `Send it a CVM pod:\n` +
          `  curl --cacert ${join(dir, "ca.crt")} -H 'Content-Type: application/json' \\\n` +
          `    --data @examples/review-cvm-pod.json https://127.0.0.1:${port}/mutate\n`) +
      "\n",
  );
}

/** The server listening, or a one-line error for what an operator can fix (the port is taken). */
async function listen(
  listener: Parameters<typeof startHttpsServer>[0],
  options: ServerOptions,
): Promise<RunningServer> {
  try {
    return await startHttpsServer(listener, options);
  } catch (err) {
    const where = `${options.host}:${options.port}`;
    switch ((err as NodeJS.ErrnoException).code) {
      case "EADDRINUSE":
        throw new UsageError(`serve: ${where} is already in use: stop what listens there or pass --port N`);
      case "EACCES":
        throw new UsageError(`serve: not allowed to listen on ${where}: use a port above 1023 (--port N)`);
      case "EADDRNOTAVAIL":
        throw new UsageError(`serve: ${options.host} is not an address of this machine (server.host)`);
      default:
        throw err;
    }
  }
}

const SERVE_HELP = {
  name: "serve",
  usage: "[flags]",
  description:
    "Run the webhook server (HTTPS: /mutate, /validate, /healthz, /readyz, /metrics).\n\n" +
    "Without a cluster (cluster.source embedded or a file) and without --certs-dir, development\n" +
    "certificates are created under certs/ and reused. With cluster.source: live the cluster is read\n" +
    "with kubectl's credentials. Stops on SIGTERM or SIGINT after in-flight requests finish.",
  flags: {
    config: CONFIG_FLAG,
    port: { type: "string", value: "N", help: "HTTPS port, 0 for any free port (server.port; default 8443)" },
    "cluster-view": { ...CLUSTER_VIEW_FLAG, help: `${CLUSTER_VIEW_FLAG.help} (cluster.source)` },
    "certs-dir": {
      type: "string",
      value: "DIR",
      help: "directory with ca.crt, tls.crt, tls.key (server.certsDir)",
    },
    ...CLUSTER_FLAGS,
  },
  examples: [
    "cvm-admission serve",
    "cvm-admission serve --port 9443 --cluster-view examples/cluster-view.yaml",
    "CVM_ADMISSION_CLUSTER_SOURCE=live cvm-admission serve --context kind-kind --certs-dir /etc/cvm/certs",
  ],
  exitCodes: {
    0: "stopped by SIGTERM or SIGINT after draining",
    2: "usage or configuration error, port in use, unreadable file, no cluster configuration",
  },
} as const;

export const serveCommand = defineCommand(SERVE_HELP, async (values) => {
  const serviceLinks: string[] = [];
  const config = resolveConfig(values, (name) => serviceLinks.push(name));
  const logger = createLogger(config.logging.level);
  logger.info({ version: VERSION, node: process.version }, "cvm-admission starting");
  if (serviceLinks.length > 0)
    logger.debug(
      { variables: serviceLinks },
      "ignored the kubelet's service-link variables under CVM_ADMISSION_",
    );

  let kubeConfig: KubeConfig | undefined;
  let live: LiveCluster | undefined;
  if (config.cluster.source === "live") {
    kubeConfig = loadKubeConfig(values);
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
  const firstPair = await firstServingPair(config, development, logger);
  const running: RunningServer = await listen(
    createApp({
      view,
      config,
      logger,
      ...(live ? { events: live.recorder } : {}),
      isReady: () =>
        view.isSynced() && serving.certificates?.current() !== undefined && !running.isShuttingDown(),
    }),
    {
      tls: firstPair,
      port: config.server.port,
      host: config.server.host,
      maxConnections: config.server.maxConnections,
      maxConnectionsPerClient: config.server.maxConnectionsPerClient,
    },
  ).catch(async (err: unknown) => {
    await live?.stop(); // its watches would keep the process alive after the error
    throw err;
  });
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
  // The pass at start finds no leader while the election is still under way (a Lease held by a
  // predecessor lasts its whole duration): winning the lease later runs a pass at once, not an
  // interval later, so the Secret and caBundle of a new install do not wait a minute.
  const offLeading =
    selfManaged &&
    elector?.onStartedLeading(() => {
      selfManaged
        .reconcile()
        .catch((err: Error) =>
          logger.warn({ err: err.message }, "self-managed certificates: pass on taking the lease failed"),
        );
    });
  announce(logger, config, running.port, firstPair.placeholder);

  const stop = (signal: string) => {
    // SIGTERM is the kubelet's: accept for drainDelaySeconds while the endpoint leaves the
    // Service. SIGINT is someone at a terminal: drain at once.
    const delaySeconds = signal === "SIGTERM" ? config.server.drainDelaySeconds : 0;
    logger.info(
      { signal, drainDelaySeconds: delaySeconds },
      "shutting down: not ready, accepting for the drain delay, then finishing in-flight requests",
    );
    void (async () => {
      await running.shutdown(DRAIN_BOUND_MS, delaySeconds * 1000);
      serving.certificates?.close();
      offLeading?.();
      selfManaged?.close();
      await live?.stop();
      logger.info("shut down cleanly");
      process.exit(0);
    })();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return 0;
});
