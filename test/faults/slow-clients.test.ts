// Slow and stalled clients (issue 7, faults): connections that never finish the TLS handshake,
// never finish their headers, or trickle a body cannot keep a well-behaved client from being
// answered. The server runs with the production code and short timeouts (the same knobs serve
// sets to 10 s / 10 s / 35 s) so the test takes seconds.

import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/load.js";
import { createApp } from "../../src/server/app.js";
import { startHttpsServer, type RunningServer } from "../../src/server/https.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { exampleClusterView } from "../support/example-view.js";
import { testTlsPair } from "../support/tls.js";

const HANDSHAKE_MS = 1500;
const HEADERS_MS = 1500;
const REQUEST_MS = 2500;
/** Expired timers are checked once a second (connectionsCheckingInterval in https.ts). */
const CHECK_INTERVAL_MS = 1000;
const MAX_CONNECTIONS = 24;

const body = readFileSync(new URL("../../bench/bodies/cvm-pod.json", import.meta.url));

let running: RunningServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await running?.shutdown(500);
});

async function start(): Promise<{ port: number; ca: string }> {
  const tls = await testTlsPair();
  const config = defaultConfig();
  const view = exampleClusterView(config);
  running = await startHttpsServer(createApp({ view, config, logger: silentLogger, isReady: () => true }), {
    tls,
    port: 0,
    host: "127.0.0.1",
    maxConnections: MAX_CONNECTIONS,
    handshakeTimeoutMs: HANDSHAKE_MS,
    headersTimeoutMs: HEADERS_MS,
    requestTimeoutMs: REQUEST_MS,
  });
  return { port: running.port, ca: tls.ca };
}

/** Resolves with the time the server closed the socket, measured from `since`. */
function closedAfter(socket: Socket, since: number): Promise<number> {
  sockets.push(socket);
  socket.on("error", () => {});
  socket.resume(); // read what the server sends (a 408), or its close is never seen
  return new Promise((resolve) => socket.once("close", () => resolve(Date.now() - since)));
}

/** A TCP connection that never starts TLS. */
function stallBeforeHandshake(port: number): Promise<number> {
  return closedAfter(tcpConnect({ host: "127.0.0.1", port }), Date.now());
}

/** TLS, then half a request line and headers that never end. */
function stallInHeaders(port: number, ca: string): Promise<number> {
  const started = Date.now();
  const s = tlsConnect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () =>
    s.write("POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"),
  );
  return closedAfter(s, started);
}

/** TLS and complete headers, then a body that trickles one byte every 300 ms. */
function trickleBody(port: number, ca: string): Promise<number> {
  const started = Date.now();
  const s = tlsConnect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
    s.write(
      `POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let i = 0;
    const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write(body.subarray(i, ++i))), 300);
  });
  return closedAfter(s, started);
}

/** A fresh connection per try, as a client whose pooled connection was refused would make. */
function review(port: number, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/mutate",
        method: "POST",
        ca,
        servername: "localhost",
        agent: false,
        headers: { "content-type": "application/json", "content-length": body.length },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Tries every 100 ms until answered; returns how long that took. */
async function answeredWithin(port: number, ca: string, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      expect(await review(port, ca)).toBe(200);
      return Date.now() - started;
    } catch (err) {
      if (Date.now() - started > limitMs)
        throw new Error(`not answered within ${limitMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

it("answers a well-behaved client at once while stalled connections stay below the limit", async () => {
  const { port, ca } = await start();
  const stalled = [
    ...Array.from({ length: 4 }, () => stallBeforeHandshake(port)),
    ...Array.from({ length: 4 }, () => stallInHeaders(port, ca)),
    ...Array.from({ length: 4 }, () => trickleBody(port, ca)),
  ];
  await new Promise((r) => setTimeout(r, 300));
  expect(await answeredWithin(port, ca, 5000)).toBeLessThan(1000);
  const closed = await Promise.all(stalled);
  expect(Math.max(...closed)).toBeLessThan(REQUEST_MS + CHECK_INTERVAL_MS + 1000);
}, 20_000);

it("reaps a flood of stalled connections past maxConnections within the timeouts, then answers", async () => {
  const { port, ca } = await start();
  // Interleaved, so each kind holds some of the slots.
  const flood = Array.from({ length: 16 }, () => [
    stallBeforeHandshake(port),
    stallInHeaders(port, ca),
    trickleBody(port, ca),
  ]).flat();
  await new Promise((r) => setTimeout(r, 300));
  // Refused while the flood holds every slot; answered once the timeouts have freed them.
  expect(await answeredWithin(port, ca, REQUEST_MS + CHECK_INTERVAL_MS + 2000)).toBeLessThan(
    REQUEST_MS + CHECK_INTERVAL_MS + 2000,
  );
  const closed = await Promise.all(flood);
  expect(Math.max(...closed), "every stalled connection is closed by the server").toBeLessThan(
    REQUEST_MS + CHECK_INTERVAL_MS + 1000,
  );
}, 20_000);
