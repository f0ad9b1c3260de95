// The validating webhook's policy: every check that applies to the request runs; the answer keeps
// every reason and every warning (a user fixes all problems in one go).

import { ACCESS_VALIDATORS } from "./access/index.js";
import type { PolicyContext, Validator } from "./context.js";
import { combine, type Decision } from "./decision.js";
import { validateIstio } from "./istio/validation.js";
import { NODE_VALIDATORS } from "./nodes/binding.js";

const VALIDATORS: readonly Validator[] = [...NODE_VALIDATORS, validateIstio, ...ACCESS_VALIDATORS];

/**
 * Every validator's decision, combined. Validators answer synchronously unless they must read the
 * cluster (a cache miss); only then is a promise awaited. Every request the validating webhook
 * sees passes here (every binding of every pod in opted-in namespaces).
 */
export function validate(ctx: PolicyContext): Decision | Promise<Decision> {
  const decisions = VALIDATORS.map((check) => check(ctx));
  return decisions.some((d) => d instanceof Promise)
    ? Promise.all(decisions).then(combine)
    : combine(decisions as Decision[]);
}
