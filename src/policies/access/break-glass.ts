// Break-glass: members of config.access.breakGlassGroups may get into CVM pods (exec, attach,
// port-forward, proxy, ephemeral containers). Only an exact group name on the list counts;
// cluster-admin groups such as system:masters get nothing unless the operator lists them.
// Every use is allowed with a warning, an audit annotation and a break-glass observation, which the
// admission layer logs at warn level.

import type { PolicyContext } from "../context.js";
import { allow, type Allowed } from "../decision.js";

/** Audit annotation key. No prefix: the apiserver prefixes it with the webhook's name
 * (`<webhook>/break-glass`); a key with its own `/` would be an invalid qualified name and dropped. */
export const BREAK_GLASS_AUDIT_KEY = "break-glass";

/** The first of the requester's groups that is on the break-glass list, if any. */
export function breakGlassGroup(ctx: PolicyContext): string | undefined {
  const allowed = ctx.config.access.breakGlassGroups;
  if (allowed.length === 0) return undefined;
  return (ctx.request.userInfo.groups ?? []).find((group) => allowed.includes(group));
}

export function isBreakGlass(ctx: PolicyContext): boolean {
  return breakGlassGroup(ctx) !== undefined;
}

/** The allowed decision for a break-glass request; `action` says what was let through. */
export function allowBreakGlass(ctx: PolicyContext, group: string, action: string): Allowed {
  const user = ctx.request.userInfo.username || "(unknown user)";
  const decision = allow([
    `break-glass: ${action} allowed for ${user} as a member of ${group}; this access to the privileged ` +
      `supervisor is logged and audited`,
  ]);
  const record = `${user} via group ${group}: ${action}`;
  decision.auditAnnotations = { [BREAK_GLASS_AUDIT_KEY]: record };
  decision.observations = [{ kind: "break-glass", record }];
  return decision;
}
