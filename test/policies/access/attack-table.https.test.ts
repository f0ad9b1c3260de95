// The attack table over real HTTPS on loopback: each case is POSTed as an AdmissionReview to the
// real server (express app on node:https, the full mutating chain or every validator), and the
// AdmissionReview that comes back must carry the expected decision, 403 status and messages.

import { afterAll, describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../../src/admission/types.js";
import { startTestServer, type TestServer } from "../../support/server.js";
import { attackCases, expectOutcome, type AttackCase } from "./attack-table.js";
import { clusterView, testConfig } from "./support.js";

const cases = attackCases();
const servers = new Map<string, Promise<TestServer>>();

/** One server per cluster state and config variant; cases that share them share a server. */
function serverFor(c: AttackCase): Promise<TestServer> {
  const key = `${c.view ?? "synced"}|${c.config?.toString() ?? ""}`;
  let server = servers.get(key);
  if (server === undefined) {
    const config = testConfig();
    c.config?.(config);
    server = startTestServer({ config, view: clusterView(config, c.view) });
    servers.set(key, server);
  }
  return server;
}

afterAll(async () => {
  await Promise.all([...servers.values()].map(async (server) => (await server).close()));
});

describe("access attack table, over HTTPS through the real server", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const server = await serverFor(c);
    const review = (await server.review(`/${c.webhook}`, {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: c.request,
    })) as AdmissionReview;
    const response = review.response!;
    expect(response.uid).toBe(c.request.uid);
    expectOutcome(
      {
        allowed: response.allowed,
        code: response.status?.code,
        message: response.status?.message,
        warnings: response.warnings ?? [],
        auditAnnotations: response.auditAnnotations,
      },
      c.expect,
    );
  });
});
