// Review -> policy -> response, for both webhooks: timing, metrics, the admission log line, Events
// on denials, and the rule that a policy exception still gets a decided answer (code 500).

import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import { BREAK_GLASS_AUDIT_KEY } from "../policies/access/break-glass.js";
import type { PolicyContext } from "../policies/context.js";
import { deny, type Decision } from "../policies/decision.js";
import { mutatePod } from "../policies/mutate-pod.js";
import { validate } from "../policies/validate.js";
import {
  admissionDuration,
  admissionInFlight,
  admissionRequests,
  policyErrors,
} from "../telemetry/admission-metrics.js";
import type { Logger } from "../telemetry/logger.js";
import { denialMessage, toResponse, toReview } from "./response.js";
import type { CheckedReview } from "./review.js";
import type { AdmissionResponse, AdmissionReview } from "./types.js";

export type Webhook = "mutate" | "validate";

/** Writes a Kubernetes Event on a denied pod (live cluster only). Must never throw or block. */
export interface DenialRecorder {
  recordDenial(event: { namespace: string; podName: string; message: string; dryRun: boolean }): void;
}

export interface AdmissionDeps {
  view: ClusterView;
  config: Config;
  logger: Logger;
  events?: DenialRecorder;
}

const POLICIES: Record<Webhook, (ctx: PolicyContext) => Decision | Promise<Decision>> = {
  mutate: mutatePod,
  validate,
};

export async function admit(
  webhook: Webhook,
  review: CheckedReview,
  deps: AdmissionDeps,
): Promise<AdmissionReview> {
  const { request } = review;
  const started = process.hrtime.bigint();
  admissionInFlight.inc();
  let decision: Decision;
  let response: AdmissionResponse;
  try {
    decision = await POLICIES[webhook]({ request, view: deps.view, config: deps.config });
    // Inside the try: diffing a hostile object (nesting deeper than the stack) can throw too.
    response = toResponse(request.uid, decision, request.object);
  } catch (err) {
    policyErrors.inc({ webhook });
    deps.logger.error({ err, uid: request.uid, webhook }, "policy failed; answering allowed=false (500)");
    decision = deny([`internal error in cvm-admission ${webhook}: ${(err as Error).message}`], [], 500);
    response = toResponse(request.uid, decision, request.object); // a denial carries no patch
  } finally {
    admissionInFlight.dec();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const outcome = !decision.allowed ? "denied" : response.patch ? "patched" : "allowed";
  admissionDuration.observe({ webhook }, seconds);
  admissionRequests.inc({ webhook, operation: request.operation, decision: outcome });

  const line = {
    uid: request.uid,
    webhook,
    namespace: request.namespace,
    name: request.name,
    resource: request.subResource
      ? `${request.resource.resource}/${request.subResource}`
      : request.resource.resource,
    operation: request.operation,
    user: request.userInfo.username,
    decision: outcome,
    durationMs: Math.round(seconds * 1e6) / 1e3,
  };
  if (decision.allowed) {
    const breakGlass = decision.auditAnnotations?.[BREAK_GLASS_AUDIT_KEY];
    if (breakGlass !== undefined) deps.logger.warn({ ...line, breakGlass }, "break-glass access allowed");
    else deps.logger.info(line, "admission");
  } else {
    const message = denialMessage(decision.reasons);
    deps.logger.info({ ...line, code: decision.code, message }, "admission");
    // A denied pod CREATE leaves no pod to attach an Event to; subresource requests and updates have one.
    const podExists = request.operation !== "CREATE" || Boolean(request.subResource);
    if (request.resource.resource === "pods" && request.name && request.namespace && podExists) {
      deps.events?.recordDenial({
        namespace: request.namespace,
        podName: request.name,
        message,
        dryRun: request.dryRun === true,
      });
    }
  }
  return toReview(review.apiVersion, response);
}
