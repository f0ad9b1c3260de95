// Everything a policy may read, and the shapes of the policies. Policies never do I/O of their own
// beyond the ClusterView, whose cache misses fall back to one bounded direct read (cluster/).

import type { V1Pod } from "@kubernetes/client-node";
import type { ClusterView } from "../cluster/view.js";
import type { Config } from "../config/config.js";
import type { AdmissionRequest } from "../kube/admission-review.js";
import { allow, type Decision } from "./decision.js";
import { matchesRequest, type RequestMatch } from "./matches.js";

export interface PolicyContext {
  request: AdmissionRequest;
  view: ClusterView;
  config: Config;
}

/** One step of the pod mutation chain: takes the pod as the previous step left it. */
export type PodMutator = (pod: V1Pod, ctx: PolicyContext) => Decision;

export type Check = (ctx: PolicyContext) => Decision | Promise<Decision>;

/**
 * One independent check of the validating webhook; results are combined (every reason kept).
 * Called directly (the CLI, tests) it allows every request outside its declared matches.
 */
export interface Validator {
  (ctx: PolicyContext): Decision | Promise<Decision>;
  readonly matches: readonly RequestMatch[];
  /** The check alone, for dispatch, which has matched the request already. */
  readonly check: Check;
}

export function validator(matches: readonly RequestMatch[], check: Check): Validator {
  const filtered = (ctx: PolicyContext) => (matchesRequest(matches, ctx.request) ? check(ctx) : allow());
  return Object.assign(filtered, { matches, check });
}

/** What a webhook endpoint runs: the requests it judges, and how. */
export interface WebhookPolicy {
  readonly matches: readonly RequestMatch[];
  /**
   * Narrows `matches` by the object, as the chart's objectSelector narrows the webhook's rules;
   * a matched request it turns away is allowed untouched, unread beyond what it looked at.
   */
  readonly applies?: (ctx: PolicyContext) => boolean;
  readonly decide: Check;
}
