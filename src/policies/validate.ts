// The validating webhook's policy: every check that applies to the request runs; the answer keeps
// every reason and every warning (a user fixes all problems in one go).

import { ACCESS_VALIDATORS } from "./access/index.js";
import type { PolicyContext, Validator } from "./context.js";
import { combine, type Decision } from "./decision.js";
import { validateIstio } from "./istio/validation.js";
import { NODE_VALIDATORS } from "./nodes/binding.js";

const VALIDATORS: readonly Validator[] = [...NODE_VALIDATORS, validateIstio, ...ACCESS_VALIDATORS];

export async function validate(ctx: PolicyContext): Promise<Decision> {
  return combine(await Promise.all(VALIDATORS.map((check) => check(ctx))));
}
