// The validating webhook's policy: every check that applies to the request runs; the answer keeps
// every reason and every warning (a user fixes all problems in one go).

import { ACCESS_VALIDATORS } from "./access/index.js";
import type { PolicyContext, Validator } from "./context.js";
import { allow, combine, type Decision } from "./decision.js";
import { validateIstio } from "./istio/validation.js";

const VALIDATORS: readonly Validator[] = [validateIstio, ...ACCESS_VALIDATORS];

export async function validate(ctx: PolicyContext): Promise<Decision> {
  if (VALIDATORS.length === 0) return allow();
  return combine(await Promise.all(VALIDATORS.map((check) => check(ctx))));
}
