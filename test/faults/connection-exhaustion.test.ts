// Connection exhaustion (issue 13 §2): idle keep-alive connections must not lock out new clients,
// one client address cannot take every slot, and the kubelet's probes are answered even when every
// slot is busy (src/server/connection-guard.ts). Real TLS on loopback; each client address is a
// different 127.0.0.x (all of 127/8 is loopback on Linux), so "per client" is what the server sees.

import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/load.js";
import { createApp } from "../../src/server/app.js";
import { PROBE_RESERVE } from "../../src/server/connection-guard.js";
import { startHttpsServer, type RunningServer } from "../../src/server/https.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { exampleClusterView } from "../support/example-view.js";
import { testTlsPair } from "../support/tls.js";

const MAX = 8;
const PER_CLIENT = 4;

let running: RunningServer | undefined;
const sockets: TLSSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await running?.shutdown(500);
  running = undefined;
});

async function start(): Promise<{ port: number; ca: string }> {
  const tls = await testTlsPair();
  const config = defaultConfig();
  running = await startHttpsServer(
    createApp({ view: exampleClusterView(config), config, logger: silentLogger, isReady: () => true }),
    { tls, port: 0, host: "127.0.0.1", maxConnections: MAX, maxConnectionsPerClient: PER_CLIENT },
  );
  return { port: running.port, ca: tls.ca };
}

interface Conn {
  socket: TLSSocket;
  closed: () => boolean;
  /** Everything the server sent. */
  received: () => string;
}

/** A TLS connection from `from`; resolves once the handshake is done, rejects if the server drops it. */
function connect(port: number, ca: string, from: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    let closed = false;
    let received = "";
    // localAddress reaches net.connect; node:tls's type does not list it.
    const options = Object.assign(
      { host: "127.0.0.1", port, ca, servername: "localhost" },
      { localAddress: from },
    );
    const socket = tlsConnect(options, () =>
      resolve({ socket, closed: () => closed, received: () => received }),
    );
    sockets.push(socket);
    socket.setTimeout(5_000, () => socket.destroy(new Error("no handshake in 5 s")));
    socket.on("data", (d: Buffer) => (received += d.toString()));
    socket.on("error", reject);
    socket.once("close", () => {
      closed = true;
      reject(new Error("closed by the server before the handshake"));
    });
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (condition()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A keep-alive connection that asked GET /healthz once and now sits idle. */
async function idle(port: number, ca: string, from: string): Promise<Conn> {
  const conn = await connect(port, ca, from);
  conn.socket.setTimeout(0);
  conn.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  await until(() => conn.received().endsWith("ok"), `an answer on an idle-to-be connection from ${from}`);
  return conn;
}

/** A connection whose POST /mutate headers arrived and whose body never does: busy. */
async function busy(port: number, ca: string, from: string): Promise<Conn> {
  const conn = await connect(port, ca, from);
  conn.socket.setTimeout(0);
  conn.socket.write(
    "POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
  );
  return conn;
}

/** One request on a fresh connection: the status, or the error that ended it. */
async function ask(port: number, ca: string, from: string, method: string, path: string): Promise<string> {
  let conn: Conn;
  try {
    conn = await connect(port, ca, from);
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
  const body = method === "POST" ? "{}" : "";
  conn.socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  try {
    await until(() => /^HTTP\/1\.1 \d{3}/.test(conn.received()) || conn.closed(), `an answer to ${path}`);
  } catch (err) {
    return `no answer: ${(err as Error).message}`;
  }
  return conn.received().slice(9, 12) || "closed without an answer";
}

it("at the cap, closes the connection idle longest to admit a new one", async () => {
  const { port, ca } = await start();
  const held: Conn[] = [];
  for (const from of ["127.0.0.2", "127.0.0.3"])
    for (let i = 0; i < PER_CLIENT; i++) held.push(await idle(port, ca, from));
  expect(held).toHaveLength(MAX);

  expect(await ask(port, ca, "127.0.0.4", "GET", "/healthz")).toBe("200");
  await until(() => held[0]!.closed(), "the oldest idle connection to close");
  expect(await ask(port, ca, "127.0.0.4", "POST", "/mutate")).toBe("400");
  await until(() => held[1]!.closed(), "the next oldest idle connection to close");
  await sleep(200);
  expect(held.slice(2).map((c) => c.closed())).toEqual(Array(MAX - 2).fill(false));
});

it("bounds the connections of one client address: its own oldest idle makes room, all busy refuses", async () => {
  const { port, ca } = await start();
  const busyOnes: Conn[] = [];
  for (let i = 0; i < PER_CLIENT; i++) busyOnes.push(await busy(port, ca, "127.0.0.5"));
  await sleep(100);
  expect(await ask(port, ca, "127.0.0.5", "GET", "/healthz")).toMatch(/^refused/);
  expect(await ask(port, ca, "127.0.0.6", "GET", "/healthz")).toBe("200");
  expect(busyOnes.map((c) => c.closed())).toEqual(Array(PER_CLIENT).fill(false));

  const idleOnes: Conn[] = [];
  for (let i = 0; i < PER_CLIENT; i++) idleOnes.push(await idle(port, ca, "127.0.0.7"));
  expect(await ask(port, ca, "127.0.0.7", "GET", "/healthz")).toBe("200");
  await until(() => idleOnes[0]!.closed(), "the address's oldest idle connection to close");
  expect(busyOnes.map((c) => c.closed())).toEqual(Array(PER_CLIENT).fill(false));
});

it("answers probes when every slot is busy, and only probes", async () => {
  const { port, ca } = await start();
  const held: Conn[] = [];
  for (const from of ["127.0.0.2", "127.0.0.3"])
    for (let i = 0; i < PER_CLIENT; i++) held.push(await busy(port, ca, from));
  await sleep(100);
  // More probes than the reserve holds, one after the other as the kubelet sends them: each
  // reserve connection closes after its answer, so the reserve never runs out.
  for (let i = 0; i < PROBE_RESERVE * 2; i++) {
    expect(await ask(port, ca, `127.0.1.${(i % 4) + 1}`, "GET", i % 2 ? "/readyz" : "/healthz")).toBe("200");
  }
  expect(await ask(port, ca, "127.0.0.9", "POST", "/mutate")).toBe("503");
  expect(held.map((c) => c.closed())).toEqual(Array(MAX).fill(false));
});
