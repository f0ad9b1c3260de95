// The webhook rules the chart renders against what the policies declare they match
// (src/policies/matches.ts): for each endpoint, every (operation, resource) pair the apiserver is
// told to send must be one a policy judges, and every pair a policy judges must be sent. A policy
// the apiserver never calls, or a rule that only costs a round trip, fails here.

import { describe, expect, it } from "vitest";
import { WEBHOOK_POLICIES, type Webhook } from "../../src/policies/index.js";
import { findRenderer, render, type Renderer } from "./render.js";

const found = findRenderer();
const renderer = "missing" in found ? undefined : (found as Renderer);
if (!renderer) console.info(`webhook rule tests SKIPPED: ${(found as { missing: string }).missing}`);

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

interface RenderedWebhook {
  name: string;
  clientConfig: { service: { path: string } };
  rules: Rule[];
}

const ENDPOINTS: Record<string, Webhook> = { "/mutate": "mutate", "/validate": "validate" };

function pairs(
  matches: readonly { operations: readonly string[]; resources: readonly string[] }[],
): string[] {
  const all = matches.flatMap((m) => m.operations.flatMap((op) => m.resources.map((r) => `${op} ${r}`)));
  return [...new Set(all)].sort();
}

describe.skipIf(!renderer)("chart webhook rules against the policies' declared matches", () => {
  const manifests = renderer ? render(renderer) : [];
  const hooks = manifests
    .filter((m) => m.kind === "MutatingWebhookConfiguration" || m.kind === "ValidatingWebhookConfiguration")
    .flatMap((m) => m["webhooks"] as RenderedWebhook[]);

  it("renders webhooks for both endpoints and no other", () => {
    const paths = new Set(hooks.map((h) => h.clientConfig.service.path));
    expect([...paths].sort()).toEqual(Object.keys(ENDPOINTS).sort());
  });

  it("asks only for core v1 resources (the policies match by resource name alone)", () => {
    for (const rule of hooks.flatMap((h) => h.rules)) {
      expect(rule.apiGroups).toEqual([""]);
      expect(rule.apiVersions).toEqual(["v1"]);
    }
  });

  it.each(Object.entries(ENDPOINTS))(
    "%s: the rules are exactly the union of the declared matches",
    (path, webhook) => {
      const rules = hooks.filter((h) => h.clientConfig.service.path === path).flatMap((h) => h.rules);
      expect(pairs(rules)).toEqual(pairs(WEBHOOK_POLICIES[webhook].matches));
    },
  );
});
