// The attack table through kube-apiserver's own admission code ($KUBE_ADMIT): the webhook
// configurations as the chart renders them (rules, namespaceSelector, objectSelector, dry-run
// handling) call the real server over HTTPS, both phases in the apiserver's order. This is where
// "is the request routed to us at all" is proved. Skipped, saying why, without the harness or a
// chart renderer. Cases that only exist on the wire (the pre-1.22 EphemeralContainers body) are
// covered by the HTTPS run alone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../src/kube/admission-review.js";
import { parseClusterViewText } from "../../../src/cluster/file-view.js";
import { admissionSkipReason, renderedWebhookConfigurations } from "../../support/admission-harness.js";
import { admit, type AdmitRequest } from "../../support/admit.js";
import { ServerPool } from "../../support/server.js";
import { testTlsPair } from "../../support/tls.js";
import { attackCases, serverFor, type AttackCase } from "./attack-table.js";
import { fixtureText } from "./support.js";

if (admissionSkipReason) console.info(`access end-to-end admission tests SKIPPED: ${admissionSkipReason}`);

const cases = attackCases().filter((c) => c.request.kind.kind !== "EphemeralContainers");
const namespaces = parseClusterViewText(fixtureText("cluster.yaml"), "cluster.yaml").filter(
  (o) => o.kind === "Namespace",
);

function admitRequest(c: AttackCase, serviceAddr: string, webhookConfigurations: object[]): AdmitRequest {
  const r: AdmissionRequest = c.request;
  // CONNECT and pods/binding: the parent pod names the target, the options object or Binding is the body.
  const connect = r.operation === "CONNECT" || r.subResource === "binding";
  return {
    webhookConfigurations,
    serviceAddr,
    namespace: { apiVersion: "v1", kind: "List", items: namespaces },
    operation: r.operation,
    ...(r.subResource ? { subresource: r.subResource } : {}),
    object: connect
      ? { apiVersion: "v1", kind: "Pod", metadata: { name: r.name, namespace: r.namespace } }
      : (r.object as object),
    ...(connect ? { subObject: r.object as object } : {}),
    ...(r.operation === "UPDATE" ? { oldObject: r.oldObject as object } : {}),
    user: r.userInfo.username ?? "anonymous",
    groups: (r.userInfo.groups ?? []).filter((g) => g !== "system:authenticated"),
    dryRun: r.dryRun === true,
  };
}

describe.skipIf(admissionSkipReason !== undefined)(
  "access attack table through kube-apiserver admission",
  () => {
    let configurations: object[];
    const servers = new ServerPool();

    beforeAll(async () => {
      configurations = renderedWebhookConfigurations({}, (await testTlsPair()).ca);
    });

    afterAll(() => servers.closeAll());

    it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const server = await serverFor(servers, c);
      const result = await admit(
        admitRequest(c, `cvm-system/cvm-admission=127.0.0.1:${server.port}`, configurations),
      );
      expect(result.harnessError).toBeUndefined();
      const detail = JSON.stringify({
        status: result.status,
        deniedIn: result.deniedIn,
        warnings: result.warnings,
      });
      expect(result.allowed, detail).toBe(c.expect.allowed);
      if (c.expect.allowed) return;
      expect(result.status?.code).toBe(403);
      // Our own message, whichever of our webhooks said no first.
      for (const pattern of c.expect.says ?? []) {
        if (result.deniedIn === (c.webhook === "mutate" ? "mutating-phase" : "validating-phase")) {
          expect(result.status?.message).toMatch(pattern);
        }
      }
    });
  },
);
