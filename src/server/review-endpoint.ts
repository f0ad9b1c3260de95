// POST /mutate and /validate served straight from node:http, without express's router and
// body-parser. These two routes are the hot path (every pod CREATE in the cluster passes through
// them), and `npm run bench -- --profile` showed express routing plus body-parser costing about a
// third of the server's CPU for a 4.6 KB review; the other routes stay on express.
// The rules are those of DESIGN §2: a body over MAX_BODY_BYTES gets 413; a wrong content type,
// an empty or non-JSON body, or a non-AdmissionReview gets 400 with a JSON error; every
// AdmissionReview gets a decided 200.

import type { IncomingMessage, ServerResponse } from "node:http";
import { admit, type AdmissionDeps, type Webhook } from "../admission/dispatch.js";
import { checkReview } from "../admission/review.js";
import { badRequests } from "../telemetry/admission-metrics.js";

/** Larger than any object etcd stores (1.5 MiB) with room for oldObject; DESIGN §2. */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  // A string body goes out with the headers in one write (one TLS record); a Buffer takes two.
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, reason: string, message: string): void {
  badRequests.inc({ reason });
  sendJson(res, status, { error: message });
}

/** The media type without parameters, and the charset parameter if any. */
function contentTypeOf(req: IncomingMessage): { type: string; charset?: string } {
  const [type = "", ...params] = (req.headers["content-type"] ?? "").split(";");
  const charset = params
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/"/g, "");
  return { type: type.trim().toLowerCase(), ...(charset === undefined ? {} : { charset }) };
}

/** Why the request cannot carry a review, judged from its headers alone; undefined if it can. */
function refuseByHeaders(
  req: IncomingMessage,
): [status: number, reason: string, message: string] | undefined {
  const length = req.headers["content-length"];
  if (length === "0") return [400, "empty-body", "body is empty; expected an AdmissionReview"];
  if (length !== undefined && Number(length) > MAX_BODY_BYTES) {
    return [413, "too-large", `body exceeds ${MAX_BODY_BYTES} bytes`];
  }
  const { type, charset } = contentTypeOf(req);
  if (type !== "application/json") {
    return [
      400,
      "content-type",
      `content type must be application/json, got ${req.headers["content-type"] ?? "none"}`,
    ];
  }
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    return [400, "charset", `unsupported charset ${charset}; expected utf-8`];
  }
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    return [400, "content-encoding", `unsupported content encoding ${encoding}`];
  }
  return undefined;
}

/** The whole body, or undefined once it grows past MAX_BODY_BYTES (the rest is left unread:
 * node:http discards it after the response, keeping the connection usable). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off("data", onData);
        req.off("end", onEnd);
        resolve(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", reject);
    // A client gone before the end: "end" never comes (settling twice is a no-op).
    req.on("close", () => {
      if (!req.complete) reject(new Error("request aborted")); // not on every request: errors are costly
    });
  });
}

export function reviewEndpoint(webhook: Webhook, deps: AdmissionDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refusal = refuseByHeaders(req);
    if (refusal) {
      sendError(res, ...refusal);
      return;
    }
    try {
      const body = await readBody(req);
      if (body === undefined) {
        sendError(res, 413, "too-large", `body exceeds ${MAX_BODY_BYTES} bytes`);
        return;
      }
      if (body.length === 0) {
        sendError(res, 400, "empty-body", "body is empty; expected an AdmissionReview");
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch (err) {
        sendError(res, 400, "entity.parse.failed", `body is not valid JSON: ${(err as Error).message}`);
        return;
      }
      const checked = checkReview(parsed);
      if (!checked.ok) {
        sendError(res, 400, "not-admission-review", checked.error);
        return;
      }
      sendJson(res, 200, await admit(webhook, checked, deps));
    } catch (err) {
      // An aborted upload, or a bug outside the policies (those are answered inside admit).
      if (res.headersSent || res.socket?.destroyed !== false) return;
      deps.logger.error({ err }, "unexpected server error");
      sendJson(res, 500, { error: "internal error" });
    }
  };
}
