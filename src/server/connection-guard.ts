// Keeps a connection slot for whoever needs one (issue 13 §2, README "The HTTP interface"). The
// apiserver keeps idle keep-alive connections for 90 s and any pod can reach the Service, so a
// plain cap lets idle connections lock everyone out, probes included. Instead:
// - at the cap, the connection idle longest (no request in flight) is closed to admit the new one;
// - one client address holds at most `maxPerClient` connections; past that its own oldest idle
//   connection makes room, and when all of its connections are busy the new one is refused;
// - when every slot is busy, up to PROBE_RESERVE connections more are admitted that may only ask
//   GET /healthz or /readyz (anything else gets 503 and the connection closes): the kubelet's
//   probes are answered whatever else holds the slots.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { Counter } from "prom-client";
import { registry } from "../telemetry/metrics.js";

/** Connections beyond the cap that can carry probes while every regular slot is busy. */
export const PROBE_RESERVE = 16;
const PROBE_PATHS = new Set(["/healthz", "/readyz"]);

const shed = new Counter({
  name: "cvm_admission_connections_shed_total",
  help: "Connections closed or refused to keep slots free: idle-evicted (oldest idle closed at a limit), per-client (refused, the address's connections all busy), over-capacity (refused, every slot and the probe reserve busy), overflow-request (a non-probe request on a reserve connection, answered 503).",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export interface ConnectionLimits {
  maxConnections: number;
  maxPerClient: number;
}

interface Tracked {
  socket: TLSSocket;
  address: string;
  inFlight: number;
  /** When its last request ended (or the TLS handshake did): the oldest idle goes first. */
  idleSince: number;
  /** Admitted from the probe reserve. */
  overflow: boolean;
}

export interface ConnectionGuard {
  /** Answers a request itself (503) when its connection may carry probes only; true if it did. */
  refuseIfOverflow(req: IncomingMessage, res: ServerResponse): boolean;
}

export function guardConnections(server: Server, limits: ConnectionLimits): ConnectionGuard {
  /** Raw TCP connections (handshaking or not) per client address, and in all. */
  const perAddress = new Map<string, number>();
  let open = 0;
  /** Connections past their TLS handshake, with what eviction needs to know of each. */
  const tracked = new Map<TLSSocket, Tracked>();

  /** Closes the connection idle longest (of one address, when given); false when none is idle. */
  const evictOldestIdle = (address?: string): boolean => {
    let oldest: Tracked | undefined;
    for (const entry of tracked.values()) {
      if (entry.inFlight > 0 || (address !== undefined && entry.address !== address)) continue;
      if (!oldest || entry.idleSince < oldest.idleSince) oldest = entry;
    }
    if (!oldest) return false;
    tracked.delete(oldest.socket);
    oldest.socket.destroy();
    shed.inc({ reason: "idle-evicted" });
    return true;
  };

  const release = (address: string) => {
    open--;
    const count = (perAddress.get(address) ?? 1) - 1;
    if (count === 0) perAddress.delete(address);
    else perAddress.set(address, count);
  };

  server.prependListener("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const atClientLimit = (perAddress.get(address) ?? 0) >= limits.maxPerClient;
    const madeRoom = atClientLimit && evictOldestIdle(address);
    if (atClientLimit && !madeRoom) {
      shed.inc({ reason: "per-client" });
      socket.destroy();
      return;
    }
    if (
      !madeRoom &&
      open >= limits.maxConnections &&
      !evictOldestIdle() &&
      open >= limits.maxConnections + PROBE_RESERVE
    ) {
      shed.inc({ reason: "over-capacity" });
      socket.destroy();
      return;
    }
    open++;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    socket.once("close", () => release(address));
  });

  server.on("secureConnection", (socket: TLSSocket) => {
    // Evicted sockets leave `open` only when they close: a connection finishing its handshake
    // while the count is past the cap holds a reserve slot.
    const entry: Tracked = {
      socket,
      address: socket.remoteAddress ?? "",
      inFlight: 0,
      idleSince: performance.now(),
      overflow: open > limits.maxConnections,
    };
    tracked.set(socket, entry);
    socket.once("close", () => tracked.delete(socket));
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const entry = tracked.get(req.socket as TLSSocket);
    if (!entry) return;
    entry.inFlight++;
    res.once("close", () => {
      entry.inFlight--;
      entry.idleSince = performance.now();
    });
  });

  return {
    refuseIfOverflow(req, res) {
      const entry = tracked.get(req.socket as TLSSocket);
      if (!entry?.overflow) return false;
      // Probes are answered; the connection closes after each answer to free the reserve.
      res.setHeader("Connection", "close");
      if (req.method === "GET" && PROBE_PATHS.has((req.url ?? "").split("?")[0]!)) return false;
      shed.inc({ reason: "overflow-request" });
      res.writeHead(503, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error: "server at its connection limit; retry" }));
      return true;
    },
  };
}
