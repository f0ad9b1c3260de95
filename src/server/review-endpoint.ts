// POST /mutate and /validate served straight from node:http, without express's router and
// body-parser. These two routes are the hot path (every pod CREATE in the cluster passes through
// them), and `npm run bench -- --profile` showed express routing plus body-parser costing about a
// third of the server's CPU for a 4.6 KB review; the other routes stay on express.
// The rules are those of README.md, "The HTTP interface": a body over MAX_BODY_BYTES gets 413; a
// wrong content type, an empty or non-JSON body, or a non-AdmissionReview gets 400 with a JSON
// error (another method than POST 405 with Allow: POST; each refusal is logged at warn,
// rate-limited); every
// AdmissionReview gets a decided 200.

import type { IncomingMessage, ServerResponse } from "node:http";
import { admit, type AdmissionDeps, type Webhook } from "../admission/dispatch.js";
import { reviewJson, toReview } from "../admission/response.js";
import { checkReview } from "../admission/review.js";
import { ADMISSION_V1, ADMISSION_V1BETA1 } from "../kube/admission-review.js";
import { badRequests } from "../telemetry/admission-metrics.js";
import { LARGE_BODY_BYTES, requestTimeoutMs, type LargeBodyGate } from "./large-body-gate.js";
import { logRefusal } from "./refusals.js";

/** Larger than any object etcd stores (1.5 MiB) with room for oldObject. */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendJsonText(res, status, JSON.stringify(value));
}

function sendJsonText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  // A string body goes out with the headers in one write (one TLS record); a Buffer takes two.
  res.end(body);
}

/** A request that carries no review we can answer: counted, logged (rate-limited), answered with its reason. */
function refuse(
  deps: AdmissionDeps,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  reason: string,
  message: string,
): void {
  badRequests.inc({ reason });
  const { method, url: path } = req;
  logRefusal(deps.logger, { status, reason, message, method, path, remoteAddress: req.socket.remoteAddress });
  sendJson(res, status, { error: message });
}

/** The media type without parameters, and the charset parameter if any. */
function contentTypeOf(req: IncomingMessage): { type: string; charset?: string } {
  const header = req.headers["content-type"] ?? "";
  // What kube-apiserver sends (runtime.ContentTypeJSON): every admission passes here.
  if (header === "application/json") return { type: header };
  const [type = "", ...params] = header.split(";");
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

/**
 * Calls `done` with the whole body, or with undefined once it grows past MAX_BODY_BYTES (the rest
 * is left unread: node:http discards it after the response, keeping the connection usable). A
 * client gone before the end never calls back; its request is dropped with its listeners (an
 * IncomingMessage emits no 'error' without a listener, so none is needed). Callbacks, not a
 * promise with abort handling: this runs for every admission.
 */
function readBody(req: IncomingMessage, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) {
      chunks.push(chunk);
      return;
    }
    req.off("data", onData);
    req.off("end", onEnd);
    done(undefined);
  };
  const onEnd = () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  req.on("data", onData);
  req.on("end", onEnd);
}

/** The decided answer to a body that arrived whole. */
async function answer(
  webhook: Webhook,
  deps: AdmissionDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | undefined,
) {
  const sendError = (status: number, reason: string, message: string) =>
    refuse(deps, req, res, status, reason, message);
  if (body === undefined) return sendError(413, "too-large", `body exceeds ${MAX_BODY_BYTES} bytes`);
  if (body.length === 0) return sendError(400, "empty-body", "body is empty; expected an AdmissionReview");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (err) {
    return sendError(400, "entity.parse.failed", `body is not valid JSON: ${(err as Error).message}`);
  }
  const checked = checkReview(parsed);
  if (!checked.ok) return sendError(400, "not-admission-review", checked.error);
  const review = admit(webhook, checked, deps);
  sendJsonText(res, 200, reviewJson(review instanceof Promise ? await review : review));
}

/** Calls `done` with the body's first `bytes` (or all of a shorter body); the rest is left unread. */
function readHead(req: IncomingMessage, bytes: number, done: (head: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = () => {
    req.off("data", onData);
    req.off("end", finish);
    done(Buffer.concat(chunks, size));
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= bytes) finish();
  };
  req.on("data", onData);
  req.on("end", finish);
}

const BUSY_MESSAGE = "cvm-admission is busy deciding other large requests; retry";

/**
 * The decided "retry" answer to a large body that could not be decided in time (large-body-gate.ts).
 * Its uid is read from the body's head, where the apiserver writes request.uid, without reading or
 * parsing the whole body (the work being avoided); a body whose head does not name it gets a plain 429.
 */
function answerBusy(req: IncomingMessage, res: ServerResponse, deps: AdmissionDeps): void {
  readHead(req, 4096, (bytes) => {
    const head = bytes.toString("latin1");
    const uid = /"request"\s*:\s*\{\s*"uid"\s*:\s*"([^"\\]{1,128})"/.exec(head)?.[1];
    deps.logger.warn({ bytes: req.headers["content-length"], uid }, "large review body answered busy (429)");
    if (uid === undefined) return refuse(deps, req, res, 429, "busy", BUSY_MESSAGE);
    const apiVersion = head.includes(`"apiVersion":"${ADMISSION_V1BETA1}"`)
      ? ADMISSION_V1BETA1
      : ADMISSION_V1;
    const status = { code: 429, reason: "TooManyRequests", message: BUSY_MESSAGE };
    sendJsonText(res, 200, reviewJson(toReview(apiVersion, { uid, allowed: false, status })));
  });
}

export function reviewEndpoint(webhook: Webhook, deps: AdmissionDeps, gate: LargeBodyGate) {
  const decide = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined) =>
    void answer(webhook, deps, req, res, body).catch((err: unknown) => {
      // A bug outside the policies (those are answered inside admit).
      deps.logger.error({ err }, "unexpected server error");
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: "internal error" });
    });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const arrivedAt = performance.now();
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      return refuse(
        deps,
        req,
        res,
        405,
        "method",
        `${req.method} is not allowed here; POST an AdmissionReview`,
      );
    }
    const refusal = refuseByHeaders(req);
    if (refusal) return refuse(deps, req, res, ...refusal);
    // The apiserver always sends Content-Length: a large body waits for its share of the budget
    // before it is read, so waiting bodies hold no memory (TCP holds them back at the client).
    const declared = Number(req.headers["content-length"]);
    if (!(declared > LARGE_BODY_BYTES)) return readBody(req, (body) => decide(req, res, body));
    void gate.admit(declared, arrivedAt, requestTimeoutMs(req.url)).then((release) => {
      if (!release) return answerBusy(req, res, deps);
      // Released when the answer is written or the client is gone, whichever comes first.
      res.once("close", release);
      readBody(req, (body) => decide(req, res, body));
    });
  };
}
