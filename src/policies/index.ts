// The policies each webhook endpoint runs: the only module the admission layer needs from policies/.

import type { WebhookPolicy } from "./context.js";
import { mutatePod } from "./mutate-pod.js";
import { validate } from "./validate.js";

export const WEBHOOK_POLICIES = { mutate: mutatePod, validate } as const satisfies Record<
  string,
  WebhookPolicy
>;

export type Webhook = keyof typeof WEBHOOK_POLICIES;

export type { PolicyContext } from "./context.js";
export { allow, deny, type Decision, type Observation } from "./decision.js";
export { matchesRequest, requestResource } from "./matches.js";
