// node:https around the express app, sized for kube-apiserver's connection reuse, hardened
// against slow clients, and shut down gracefully: stop accepting, finish in-flight, then exit.

import https from "node:https";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import type { RequestListener } from "node:http";
import { guardConnections } from "./connection-guard.js";

/** kube-apiserver's webhook client keeps idle connections 90 s (Go's IdleConnTimeout); closing
 * them earlier on our side races with its next POST and fails that call. */
export const KEEP_ALIVE_TIMEOUT_MS = 95_000;
/** A request's headers must arrive in this time (slowloris). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Whole request incl. body; webhooks are given at most 30 s by the apiserver. */
export const REQUEST_TIMEOUT_MS = 35_000;
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** After shutdown starts, how long an idle keep-alive connection is left for a request already
 * on its way; the apiserver's client notices the close of a connection idle longer than that. */
const SHUTDOWN_IDLE_GRACE_MS = 1_000;

export interface TlsPair {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ServerOptions {
  tls: TlsPair;
  port: number;
  host: string;
  /** Connections at most (idle ones are closed, oldest first, to admit new ones); see connection-guard.ts. */
  maxConnections: number;
  /** Connections per client address at most; defaults to maxConnections. */
  maxConnectionsPerClient?: number;
  /** Overrides for tests that must see a timeout fire quickly. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
}

export interface RunningServer {
  server: https.Server;
  port: number;
  /** Stop accepting, let in-flight requests finish (bounded by graceMs), then close everything. */
  shutdown(graceMs?: number): Promise<void>;
  isShuttingDown(): boolean;
}

export async function startHttpsServer(
  listener: RequestListener,
  options: ServerOptions,
): Promise<RunningServer> {
  let shuttingDown = false;
  const server = https.createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: "TLSv1.2",
      handshakeTimeout: options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
      // How often expired header/request timers are checked (default 30 s would let a stalled client linger).
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      // Responses after SIGTERM close their connection, so the apiserver reconnects to another replica.
      if (shuttingDown) res.setHeader("Connection", "close");
      if (guard.refuseIfOverflow(req, res)) return;
      listener(req, res);
    },
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const guard = guardConnections(server, {
    maxConnections: options.maxConnections,
    maxPerClient: options.maxConnectionsPerClient ?? options.maxConnections,
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const shutdown = (graceMs = 20_000): Promise<void> => {
    shuttingDown = true;
    return new Promise((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      const idle = setTimeout(() => server.closeIdleConnections(), Math.min(SHUTDOWN_IDLE_GRACE_MS, graceMs));
      force.unref();
      idle.unref();
      // Stop accepting, but not via http's close(), which also cuts idle keep-alive connections at
      // once: a client may be writing its next request on one, and that request would be reset
      // (test/faults/sigterm.test.ts). Every answer from now on says "Connection: close", so busy
      // connections end after their next response; those still idle after the grace are closed.
      tls.Server.prototype.close.call(server, () => {
        clearTimeout(force);
        clearTimeout(idle);
        resolve();
      });
    });
  };

  return {
    server,
    port: (server.address() as AddressInfo).port,
    shutdown,
    isShuttingDown: () => shuttingDown,
  };
}
