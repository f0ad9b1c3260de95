// The HTTP surface (README.md, "The HTTP interface"): POST /mutate and /validate, GET /healthz, /readyz, /metrics.
// Only unparseable or oversized bodies get 400/413; every AdmissionReview gets a decided 200.
// The two review routes bypass express (see review-endpoint.ts); express serves the rest.

import type { RequestListener } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import type { AdmissionDeps } from "../admission/dispatch.js";
import { registry } from "../telemetry/metrics.js";
import { LargeBodyGate } from "./large-body-gate.js";
import { reviewEndpoint, sendJson } from "./review-endpoint.js";

export { MAX_BODY_BYTES } from "./review-endpoint.js";

export interface AppDeps extends AdmissionDeps {
  /** Readiness beyond "the process runs": certificates loaded, caches synced, not shutting down. */
  isReady(): boolean;
}

export function createApp(deps: AppDeps): RequestListener {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

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
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err }, "unexpected server error");
    sendJson(res, 500, { error: "internal error" });
  });

  // Both webhooks share one budget for large bodies: it bounds the process, not a route.
  const gate = new LargeBodyGate();
  const reviews = new Map([
    ["/mutate", reviewEndpoint("mutate", deps, gate)],
    ["/validate", reviewEndpoint("validate", deps, gate)],
  ]);
  return (req, res) => {
    // The apiserver calls the webhook URL with a query (?timeout=10s): match the path alone.
    const query = req.url?.indexOf("?") ?? -1;
    // Any method reaches the review endpoint, which answers all but POST with 405.
    const review = reviews.get(query < 0 ? (req.url ?? "") : req.url!.slice(0, query));
    if (review) review(req, res);
    else app(req, res);
  };
}
