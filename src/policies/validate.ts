// The validating webhook's policy: every check that matches the request runs; the answer keeps
// every reason and every warning (a user fixes all problems in one go).

import { ACCESS_VALIDATORS } from "./access/index.js";
import type { Validator, WebhookPolicy } from "./context.js";
import { allow, combine, type Decision } from "./decision.js";
import { validateIstio } from "./istio/validation.js";
import { matchesRequest } from "./matches.js";
import { NODE_VALIDATORS } from "./nodes/binding.js";

const VALIDATORS: readonly Validator[] = [...NODE_VALIDATORS, validateIstio, ...ACCESS_VALIDATORS];

/**
 * Every matching validator's decision, combined. Validators answer synchronously unless they must
 * read the cluster (a cache miss); only then is a promise awaited. Every request the validating
 * webhook sees passes here (every binding of every pod in opted-in namespaces).
 */
export const validate: WebhookPolicy = {
  matches: VALIDATORS.flatMap((v) => v.matches),
  decide(ctx) {
    const decisions = VALIDATORS.filter((v) => matchesRequest(v.matches, ctx.request)).map((v) =>
      v.check(ctx),
    );
    if (decisions.length === 0) return allow();
    return decisions.some((d) => d instanceof Promise)
      ? Promise.all(decisions).then(combine)
      : combine(decisions as Decision[]);
  },
};
