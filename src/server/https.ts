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
/** How long in-flight requests may take to finish once the listener is closed. */
export const DRAIN_BOUND_MS = 20_000;

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
  /**
   * Not ready at once, still accepting for `acceptForMs` (the endpoint is being removed from the
   * Service meanwhile), then stop accepting, let in-flight requests finish (bounded by graceMs)
   * and close everything.
   */
  shutdown(graceMs?: number, acceptForMs?: number): Promise<void>;
  isShuttingDown(): boolean;
}

export async function startHttpsServer(
  listener: RequestListener,
  options: ServerOptions,
): Promise<RunningServer> {
  /** Set at shutdown(): readiness fails from then on. */
  let shuttingDown = false;
  /** Set once the drain delay is over: the listener is closed, every answer closes its connection. */
  let closing = false;
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
      if (closing) res.setHeader("Connection", "close");
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

  const shutdown = async (graceMs = DRAIN_BOUND_MS, acceptForMs = 0): Promise<void> => {
    shuttingDown = true;
    // Requests routed to this replica before its endpoint left the Service still arrive, on new
    // connections and on kept-alive ones: serve them as usual. Closing connections already now
    // would only make clients reconnect, perhaps to us again, and a connect still in the accept
    // queue when the listener closes is reset.
    if (acceptForMs > 0) await new Promise((resolve) => setTimeout(resolve, acceptForMs));
    closing = true;
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
