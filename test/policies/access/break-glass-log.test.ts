// Break-glass leaves a trace: through the admission layer (review -> validate -> response), a
// break-glass exec is answered allowed with a warning and the audit annotation, and logged at warn
// level with the user; a refused exec by an admin group that is not on the list is not. An exec
// into a cached CVM pod is decided synchronously; only a cache miss waits for the direct read.

import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { admit } from "../../../src/admission/dispatch.js";
import { checkReview } from "../../../src/admission/review.js";
import { BREAK_GLASS_AUDIT_KEY } from "../../../src/policies/access/index.js";
import { clusterView, connect, testConfig, USERS } from "./support.js";

async function execAs(user: (typeof USERS)[keyof typeof USERS]) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  const config = testConfig();
  const checked = checkReview({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: connect("exec", "dev", { user }),
  });
  if (!checked.ok) throw new Error(checked.error);
  const review = await admit("validate", checked, { view: clusterView(config), config, logger: pino(sink) });
  return { response: review.response!, lines };
}

describe("break-glass through the admission layer", () => {
  it("allows a listed group with a warning, an audit annotation and a warn-level log line naming the user", async () => {
    const { response, lines } = await execAs(USERS.oncall);
    expect(response.allowed).toBe(true);
    expect(response.warnings?.[0]).toMatch(/^break-glass: kubectl exec/);
    expect(response.auditAnnotations?.[BREAK_GLASS_AUDIT_KEY]).toBe(
      "oncall via group sre-break-glass: kubectl exec (and kubectl cp) into pod workspaces/dev",
    );
    const warn = lines.filter((l) => l["level"] === 40);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({
      user: "oncall",
      namespace: "workspaces",
      name: "dev",
      resource: "pods/exec",
    });
    expect(String(warn[0]!["breakGlass"])).toContain("sre-break-glass");
  });

  it("gives system:masters no exemption and no break-glass record", async () => {
    const { response, lines } = await execAs(USERS.admin);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.auditAnnotations).toBeUndefined();
    expect(lines.filter((l) => l["level"] === 40)).toHaveLength(0);
  });
});

describe("when an exec is decided", () => {
  const review = () => {
    const checked = checkReview({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: connect("exec", "dev") });
    if (!checked.ok) throw new Error(checked.error);
    return checked;
  };
  it("answers an exec into a cached CVM pod at once, without a promise (the request's own tick)", () => {
    const config = testConfig();
    const answer = admit("validate", review(), { view: clusterView(config), config, logger: pino({ level: "silent" }) });
    expect(answer).not.toBeInstanceOf(Promise);
    expect((answer as Awaited<typeof answer>).response?.status?.code).toBe(403);
  });

  it("waits for the direct read when the CVM pod cache has not caught up", async () => {
    const config = testConfig();
    const view = clusterView(config, "cold-cache");
    const answer = admit("validate", review(), { view, config, logger: pino({ level: "silent" }) });
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).response?.status?.code).toBe(403);
  });
}); // prettier-ignore
