// Review -> policy -> response, for both webhooks: timing, metrics, the admission log line, Events
// on denials, and the rule that a policy exception still gets a decided answer (code 500).

import type { DenialRecorder } from "../cluster/denials.js";
import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import {
  allow,
  deny,
  matchesRequest,
  requestResource,
  WEBHOOK_POLICIES,
  type Decision,
  type PolicyContext,
  type Webhook,
} from "../policies/index.js";
import {
  admissionAnswered,
  admissionEnded,
  admissionStarted,
  policyErrors,
} from "../telemetry/admission-metrics.js";
import type { Logger } from "../telemetry/logger.js";
import { countObservations } from "../telemetry/policy-metrics.js";
import { MAX_OBJECT_NESTING, nestsDeeperThan } from "../kube/nesting.js";
import { podShapeProblem } from "../kube/pod-shape.js";
import { requestFieldProblem } from "../kube/request-fields.js";
import { denialMessage, toResponse, toReview } from "./response.js";
import type { CheckedReview } from "./review.js";
import type { AdmissionRequest, AdmissionResponse, AdmissionReview } from "../kube/admission-review.js";

export type { Webhook };

export interface AdmissionDeps {
  view: ClusterView;
  config: Config;
  logger: Logger;
  events?: DenialRecorder;
}

/** What is wrong with the Pod(s) a pods request carries, before any policy reads them. */
function podProblem(request: AdmissionRequest): string | undefined {
  if (request.resource.resource !== "pods" || request.kind.kind !== "Pod") return undefined;
  for (const field of ["object", "oldObject"] as const) {
    const value = request[field];
    if (value === undefined || value === null) continue;
    const problem = podShapeProblem(value);
    if (problem !== undefined) return `request.${field} is not a valid Pod: ${problem}`;
  }
  return undefined;
}

/**
 * The webhook's policy, on the requests it declares; every other request is allowed untouched
 * and unchecked (no policy reads it). A request a policy will read is checked first.
 */
function decide(webhook: Webhook, ctx: PolicyContext): Decision | Promise<Decision> {
  const policy = WEBHOOK_POLICIES[webhook];
  if (!matchesRequest(policy.matches, ctx.request) || policy.applies?.(ctx) === false) return allow();
  const problem = podProblem(ctx.request) ?? requestFieldProblem(ctx.request);
  if (problem !== undefined) return deny([problem], [], 400);
  return policy.decide(ctx);
}

/**
 * The decided answer when a policy throws: a bug of ours (the Pod schema check runs first, and the
 * patch walks only what the policies changed), answered 500, counted and logged as an error; but
 * a forged object too deep to serialise is the input's fault, answered 400.
 */
function failed(webhook: Webhook, err: unknown, request: AdmissionRequest, logger: Logger): Decision {
  // A stack overflow on an object nested deeper than the apiserver ever sends is the input's fault.
  if (err instanceof RangeError) {
    const deep = (["object", "oldObject"] as const).find((field) =>
      nestsDeeperThan(request[field], MAX_OBJECT_NESTING),
    );
    if (deep !== undefined)
      return deny([`request.${deep} nests deeper than ${MAX_OBJECT_NESTING} levels; no Kubernetes object does`], [], 400); // prettier-ignore
  }
  const { uid } = request;
  policyErrors.inc({ webhook });
  logger.error({ err, uid, webhook }, "policy failed; answering allowed=false (500)");
  return deny([`internal error in cvm-admission ${webhook}: ${(err as Error).message}`], [], 500);
}

/**
 * One line per admission that did something: a patch or a denial at info, break-glass at warn. A
 * plain "allowed" (most pod traffic of a cluster) is logged at debug only, like Gatekeeper, which
 * logs denials only: at info it would be the bulk of the log volume, and a noticeable share of a
 * non-matching pod's server CPU (BENCHMARKS.md).
 */
function logAdmission(
  logger: Logger,
  webhook: Webhook,
  request: AdmissionRequest,
  decision: Decision,
  result: { outcome: string; seconds: number; message: string | undefined },
): void {
  const breakGlass = decision.allowed
    ? decision.observations?.find((o) => o.kind === "break-glass")?.record
    : undefined;
  const level = breakGlass !== undefined ? "warn" : result.outcome === "allowed" ? "debug" : "info";
  if (!logger.isLevelEnabled(level)) return;
  const line = {
    uid: request.uid,
    webhook,
    namespace: request.namespace,
    name: request.name,
    resource: requestResource(request),
    operation: request.operation,
    user: request.userInfo.username,
    decision: result.outcome,
    durationMs: Math.round(result.seconds * 1e6) / 1e3,
  };
  if (breakGlass !== undefined) logger.warn({ ...line, breakGlass }, "break-glass access allowed");
  else if (!decision.allowed)
    logger.info({ ...line, code: decision.code, message: result.message }, "admission");
  else logger[level](line, "admission");
}

/**
 * The answer to a review: returned at once when the policies decided without I/O (nearly every
 * review), so the server answers within the request's own tick; a promise only when a validator
 * had to read the cluster.
 */
export function admit(
  webhook: Webhook,
  review: CheckedReview,
  deps: AdmissionDeps,
): AdmissionReview | Promise<AdmissionReview> {
  const { request } = review;
  const started = process.hrtime.bigint();
  admissionStarted();
  let decided: Decision | Promise<Decision>;
  try {
    decided = decide(webhook, { request, view: deps.view, config: deps.config });
  } catch (err) {
    decided = failed(webhook, err, request, deps.logger);
  }
  if (!(decided instanceof Promise)) return finish(webhook, review, deps, started, decided);
  return decided.then(
    (decision) => finish(webhook, review, deps, started, decision),
    (err: unknown) => finish(webhook, review, deps, started, failed(webhook, err, request, deps.logger)),
  );
}

/** The decision as an AdmissionReview, counted and logged. */
function finish(
  webhook: Webhook,
  review: CheckedReview,
  deps: AdmissionDeps,
  started: bigint,
  decided: Decision,
): AdmissionReview {
  const { request } = review;
  let decision = decided;
  let response: AdmissionResponse;
  try {
    // A bug in making the patch is answered like a bug in a policy.
    response = toResponse(request.uid, decision, request.object);
  } catch (err) {
    decision = failed(webhook, err, request, deps.logger);
    response = toResponse(request.uid, decision, request.object); // a denial carries no patch
  } finally {
    admissionEnded();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const outcome = !decision.allowed ? "denied" : response.patch ? "patched" : "allowed";
  admissionAnswered(webhook, request.operation, outcome, seconds);
  if (decision.observations) countObservations(webhook, decision.observations);

  const message = decision.allowed ? undefined : denialMessage(decision.reasons);
  logAdmission(deps.logger, webhook, request, decision, { outcome, seconds, message });
  // A denied pod CREATE leaves no pod to attach an Event to; subresource requests and updates have one.
  const podExists = request.operation !== "CREATE" || Boolean(request.subResource);
  if (
    message !== undefined &&
    request.resource.resource === "pods" &&
    request.name &&
    request.namespace &&
    podExists
  ) {
    deps.events?.recordDenial({
      namespace: request.namespace,
      podName: request.name,
      message,
      dryRun: request.dryRun === true,
    });
  }
  return toReview(review.apiVersion, response);
}
