// The HTTP surface (DESIGN §2): POST /mutate and /validate, GET /healthz, /readyz, /metrics.
// Only unparseable or oversized bodies get 400/413; every AdmissionReview gets a decided 200.

import express, { type NextFunction, type Request, type Response } from "express";
import { admit, type AdmissionDeps, type Webhook } from "../admission/dispatch.js";
import { checkReview } from "../admission/review.js";
import { badRequests } from "../telemetry/admission-metrics.js";
import { registry } from "../telemetry/metrics.js";

/** Larger than any object etcd stores (1.5 MiB) with room for oldObject; DESIGN §2. */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

export interface AppDeps extends AdmissionDeps {
  /** Readiness beyond "the process runs": certificates loaded, caches synced, not shutting down. */
  isReady(): boolean;
}

function sendError(res: Response, status: number, reason: string, message: string): void {
  badRequests.inc({ reason });
  res.status(status).json({ error: message });
}

function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  if (req.get("content-length") === "0")
    sendError(res, 400, "empty-body", "body is empty; expected an AdmissionReview");
  else if (req.is("application/json")) next();
  else
    sendError(
      res,
      400,
      "content-type",
      `content type must be application/json, got ${req.get("content-type") ?? "none"}`,
    );
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: false, type: () => true });

  const review = (webhook: Webhook) => async (req: Request, res: Response) => {
    const checked = checkReview(req.body);
    if (!checked.ok) {
      sendError(res, 400, "not-admission-review", checked.error);
      return;
    }
    res.json(await admit(webhook, checked, deps));
  };
  app.post("/mutate", requireJsonBody, parseJson, review("mutate"));
  app.post("/validate", requireJsonBody, parseJson, review("validate"));

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", (_req, res) => {
    const ready = deps.isReady();
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(ready ? "ready" : "not ready");
  });
  app.get("/metrics", async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  // body-parser's errors carry status (400 bad JSON, 413 too large, 415 bad charset); anything
  // else reaching here is ours: answer 500 without leaking internals.
  app.use(
    (err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
      if (err.status === 413) sendError(res, 413, "too-large", `body exceeds ${MAX_BODY_BYTES} bytes`);
      else if (err.status !== undefined && err.status < 500) {
        sendError(res, 400, err.type ?? "bad-body", `body is not valid JSON: ${err.message}`);
      } else {
        deps.logger.error({ err }, "unexpected server error");
        res.status(500).json({ error: "internal error" });
      }
    },
  );
  return app;
}
