// The one HTTP client the live cluster code uses: JSON requests with a deadline and watch streams
// with an idle deadline. Authentication and TLS come from @kubernetes/client-node's KubeConfig
// (in-cluster service account, $KUBECONFIG, exec plugins); the transport is node:https because
// client-node's Watch has no working timeout (a stalled apiserver would hang it forever) and its
// generated API clients take no per-call deadline, which the admission path needs.

import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Content type of the body; JSON unless a patch type is given. */
  contentType?: string;
  timeoutMs: number;
}

export interface StreamOptions {
  query: Record<string, string | undefined>;
  /** The stream is aborted when nothing arrives for this long (a stalled apiserver or proxy). */
  idleTimeoutMs: number;
  onLine(line: string): void;
  signal: AbortSignal;
}

/** A watch line larger than this is not an object we can hold; the stream is dropped instead. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

type Transport = { request: typeof https.request };

export class KubeClient {
  constructor(private readonly kubeConfig: KubeConfig) {}

  private async prepare(method: string, path: string, query: Record<string, string | undefined> = {}) {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error("the kubeconfig names no current cluster");
    const url = new URL(server.replace(/\/+$/, "") + path);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, value);
    // Re-applied per request: in-cluster tokens are rotated on disk and exec plugins expire.
    const options: https.RequestOptions = { method, headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(options);
    const transport: Transport = url.protocol === "http:" ? http : https;
    return { url, options, transport };
  }

  /** One JSON request; rejects with KubeApiError on a non-2xx status, Error on timeout or transport failure. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const { url, options, transport } = await this.prepare(method, path, opts.query);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: http.OutgoingHttpHeaders = {
      ...(options.headers as http.OutgoingHttpHeaders),
      accept: "application/json",
    };
    if (payload) {
      headers["content-type"] = opts.contentType ?? "application/json";
      headers["content-length"] = payload.length;
    }
    options.headers = headers;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            reject(new KubeApiError(status, `${method} ${path}: HTTP ${status}: ${statusMessage(text)}`));
            return;
          }
          try {
            resolve((text === "" ? {} : JSON.parse(text)) as T);
          } catch (err) {
            reject(new Error(`${method} ${path}: bad JSON from the apiserver: ${(err as Error).message}`));
          }
        });
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`${method} ${path}: timed out after ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
      req.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  /**
   * A streaming GET (watch): calls onLine per newline-delimited line. Resolves when the server ends
   * the stream (or the signal aborts it); rejects on a non-200 status, idle timeout or a drop.
   */
  async stream(path: string, opts: StreamOptions): Promise<void> {
    const { url, options, transport } = await this.prepare("GET", path, opts.query);
    options.headers = { ...options.headers, accept: "application/json" };
    options.signal = opts.signal;
    return new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => req.destroy(new Error(`watch ${path}: nothing received for ${opts.idleTimeoutMs} ms`)),
          opts.idleTimeoutMs,
        );
      };
      const finish = (err?: Error) => {
        clearTimeout(idle);
        if (err && !opts.signal.aborted) reject(err);
        else resolve();
      };
      const req = transport.request(url, options, (res) => {
        armIdle();
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            finish(
              new KubeApiError(
                status,
                `watch ${path}: HTTP ${status}: ${statusMessage(Buffer.concat(chunks).toString())}`,
              ),
            ),
          );
          res.on("error", finish);
          return;
        }
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        res.on("data", (chunk: Buffer) => {
          armIdle();
          let start = 0;
          for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
            pending.push(chunk.subarray(start, nl));
            const line = Buffer.concat(pending).toString("utf8");
            pending = [];
            pendingBytes = 0;
            start = nl + 1;
            if (line.trim() === "") continue;
            try {
              opts.onLine(line);
            } catch (err) {
              req.destroy(err as Error);
              return;
            }
          }
          if (start < chunk.length) {
            pending.push(chunk.subarray(start));
            pendingBytes += chunk.length - start;
            if (pendingBytes > MAX_LINE_BYTES)
              req.destroy(new Error(`watch ${path}: a line exceeds ${MAX_LINE_BYTES} bytes`));
          }
        });
        res.on("end", () => finish());
        res.on("error", finish);
        // A socket closed mid-stream (no terminating chunk) is a drop, not a normal end.
        res.on("aborted", () => finish(new Error(`watch ${path}: connection dropped`)));
      });
      armIdle();
      req.on("error", finish);
      req.end();
    });
  }
}

/** The message of a Kubernetes Status body, or the start of whatever else came back. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === "string") return status.message;
  } catch {
    // not a Status: fall through
  }
  return text.slice(0, 200) || "(empty body)";
}
