// The attack table against the access policies directly: the validating checks combined as the
// validating webhook combines them, and the Pod Security pre-check as the mutating chain runs it.

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { denialMessage } from "../../../src/admission/response.js";
import { ACCESS_VALIDATORS, podSecurityPrecheck } from "../../../src/policies/access/index.js";
import { combine, type Decision } from "../../../src/policies/decision.js";
import { attackCases, expectOutcome, type AttackCase } from "./attack-table.js";
import { schemaErrors } from "../../support/k8s-schema.js";
import { contextFor, testConfig } from "./support.js";

async function decide(c: AttackCase): Promise<Decision> {
  const config = testConfig();
  c.config?.(config);
  const ctx = contextFor(c.request, config, c.view);
  if (c.webhook === "mutate") return podSecurityPrecheck(c.request.object as V1Pod, ctx);
  return combine(await Promise.all(ACCESS_VALIDATORS.map((check) => check(ctx))));
}

const cases = attackCases();

describe("access attack table, policies called directly", () => {
  it("tries at least 30 attacks and keeps legitimate flows in the same table", () => {
    expect(cases.filter((c) => !c.expect.allowed).length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => c.expect.allowed).length).toBeGreaterThanOrEqual(10);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it("sends only pods the API server's schema accepts (the attacks are real pods)", () => {
    for (const c of cases) {
      for (const obj of [c.request.object, c.request.oldObject] as { kind?: string }[]) {
        if (obj?.kind === "Pod") expect(schemaErrors({ apiVersion: "v1", ...obj }), c.name).toEqual([]);
      }
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const decision = await decide(c);
    expectOutcome(
      decision.allowed
        ? { allowed: true, warnings: decision.warnings, auditAnnotations: decision.auditAnnotations }
        : {
            allowed: false,
            code: decision.code,
            message: denialMessage(decision.reasons),
            warnings: decision.warnings,
          },
      c.expect,
    );
  });
});
