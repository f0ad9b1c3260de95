// The attack table over real HTTPS on loopback: each case is POSTed as an AdmissionReview to the
// real server (express app on node:https, the full mutating chain or every validator), and the
// AdmissionReview that comes back must carry the expected decision, 403 status and messages.

import { afterAll, describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../../src/kube/admission-review.js";
import { ServerPool } from "../../support/server.js";
import { attackCases, expectOutcome, serverFor } from "./attack-table.js";

const cases = attackCases();
const servers = new ServerPool();

afterAll(() => servers.closeAll());

describe("access attack table, over HTTPS through the real server", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const server = await serverFor(servers, c);
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
