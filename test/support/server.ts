// Starts the real server (express app on node:https) on a loopback port with a given cluster
// state, and posts AdmissionReviews to it over HTTPS with keep-alive, as the apiserver does.

import { request as httpsRequest, Agent } from "node:https";
import type { AdmissionReview } from "../../src/kube/admission-review.js";
import { FileClusterView } from "../../src/cluster/file-view.js";
import type { ClusterView } from "../../src/cluster/view.js";
import type { Config } from "../../src/config/config.js";
import { defaultConfig } from "../../src/config/load.js";
import { createApp } from "../../src/server/app.js";
import { startHttpsServer, type RunningServer } from "../../src/server/https.js";
import { silentLogger, type Logger } from "../../src/telemetry/logger.js";
import { testTlsPair } from "./tls.js";

export interface TestServer {
  running: RunningServer;
  port: number;
  ca: string;
  agent: Agent;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  review(path: "/mutate" | "/validate", review: unknown): Promise<AdmissionReview>;
  get(path: string): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TestServerOptions {
  config?: Config;
  /** Cluster state: Nodes, Namespaces, Pods (as in a --cluster-view file). */
  objects?: object[];
  /** A ready-made cluster view instead of `objects` (e.g. one whose cache has not caught up). */
  view?: ClusterView;
  /** Where the server logs (default: nowhere). */
  logger?: Logger;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config = options.config ?? defaultConfig();
  const view = options.view ?? new FileClusterView(options.objects ?? [], config);
  const tls = await testTlsPair();
  const running = await startHttpsServer(
    createApp({
      view,
      config,
      logger: options.logger ?? silentLogger,
      isReady: () => !running.isShuttingDown(),
    }),
    { tls, port: 0, host: "127.0.0.1", maxConnections: 256 },
  );
  const agent = new Agent({ keepAlive: true, ca: tls.ca });

  const send = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port: running.port, method, path, agent, servername: "localhost", headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { "content-type": "application/json" },
  ) =>
    send(
      "POST",
      path,
      typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      headers,
    );

  return {
    running,
    port: running.port,
    ca: tls.ca,
    agent,
    post,
    get: (path) => send("GET", path),
    async review(path, review) {
      const answer = await post(path, review);
      if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${answer.body}`);
      return JSON.parse(answer.body) as AdmissionReview;
    },
    async close() {
      agent.destroy();
      await running.shutdown(1000);
    },
  };
}

/** Test servers started on first use, one per key (a cluster state, a config), closed together. */
export class ServerPool {
  private readonly servers = new Map<string, Promise<TestServer>>();

  get(key: string, options: () => TestServerOptions): Promise<TestServer> {
    let server = this.servers.get(key);
    if (server === undefined) {
      server = startTestServer(options());
      this.servers.set(key, server);
    }
    return server;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.values()].map(async (server) => (await server).close()));
  }
}

/** An AdmissionReview for a request, with the usual apiserver fields filled in. */
export function reviewOf(request: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "00000000-0000-4000-8000-000000000000",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      operation: "CREATE",
      userInfo: { username: "alice", groups: ["system:authenticated"] },
      ...request,
    },
  };
}

/** Decodes the base64 JSON patch of a response. */
export function patchOf(review: AdmissionReview): unknown[] {
  const patch = review.response?.patch;
  return patch ? (JSON.parse(Buffer.from(patch, "base64").toString("utf8")) as unknown[]) : [];
}
