// The CVM golden cases through kube-apiserver's own admission code ($KUBE_ADMIT): the chart's
// webhook configurations, rendered in existingSecret mode so the caBundle the apiserver checks our
// certificate against comes from the chart's values, call the real server over HTTPS; the
// apiserver applies our patch with its strict RFC 6902 code, re-invokes us, and runs our
// validating webhook on the result. What comes out must be the golden expected pod, or a denial
// carrying every golden reason. Skipped, saying why, without the harness or a chart renderer.

import type { V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionSkipReason, renderedWebhookConfigurations } from "../../support/admission-harness.js";
import { admit } from "../../support/admit.js";
import { ServerPool, type TestServer } from "../../support/server.js";
import { testTlsPair } from "../../support/tls.js";
import { goldenCases, goldenFile } from "./golden-cases.js";
import { configWith, NOT_OPTED_IN, OPTED_IN } from "./support.js";

if (admissionSkipReason) console.info(`CVM end-to-end admission tests SKIPPED: ${admissionSkipReason}`);

const cases = goldenCases().map((golden) => [golden.id, golden] as const);

// Where the whole system answers differently from the mutation alone, and why.
const WHOLE_SYSTEM: Record<string, { denied: RegExp } | { neverSent: RegExp }> = {
  // The mutation leaves an unlabelled pod alone, but in an opted-in namespace the validating
  // webhook refuses its hostNetwork (Pod Security baseline, issue 14).
  "envbox/unlabelled-unchanged": { denied: /host namespaces \(hostNetwork=true\)/ },
  // The mutation keeps Istio's containers; under the default optOut policy the validating webhook
  // then refuses the proxy that is still there.
  "envbox/istio-injected-kept": { denied: /Istio proxy still present/ },
  // A CPU limit of "lots" never reaches admission: the apiserver fails to decode the pod.
  "envbox/reject-ports-devices-resources": { neverSent: /quantities must match/ },
};

/**
 * A pod without what the apiserver's Go round trip adds or drops on its own (uid,
 * creationTimestamp, an empty status, `resources: {}`, a zero `divisor`), so the admitted pod and
 * the golden file compare as the same pod.
 */
function withoutRoundTrip(pod: V1Pod): V1Pod {
  const copy = structuredClone(pod);
  delete copy.metadata?.uid;
  delete copy.metadata?.creationTimestamp;
  if (copy.status && Object.keys(copy.status).length === 0) delete copy.status;
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      const emptyResources = key === "resources" && JSON.stringify(value) === "{}";
      if (emptyResources || (key === "divisor" && value === "0")) delete record[key];
      else walk(value);
    }
  };
  walk(copy.spec);
  return copy;
}

/** Splits the Istio step's record (checked on its own) off the admitted pod. */
function withoutIstioRecord(pod: V1Pod): { pod: V1Pod; inject?: string; state?: string } {
  const copy = structuredClone(pod);
  const inject = copy.metadata?.labels?.["sidecar.istio.io/inject"];
  delete copy.metadata?.labels?.["sidecar.istio.io/inject"];
  const record = copy.metadata?.annotations?.["cvm.dev/istio"];
  delete copy.metadata?.annotations?.["cvm.dev/istio"];
  const state = record ? (JSON.parse(record) as { state: string }).state : undefined;
  return { pod: copy, inject, state };
}

interface GoldenDecision {
  allowed: boolean;
  warnings: string[];
  reasons?: string[];
}

const namespaces = {
  apiVersion: "v1",
  kind: "List",
  items: [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: OPTED_IN, labels: { "cvm.dev/enabled": "true" } },
    },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NOT_OPTED_IN } },
  ],
};

describe.skipIf(admissionSkipReason !== undefined)(
  "CVM golden cases through kube-apiserver admission",
  () => {
    let configurations: object[];
    const servers = new ServerPool();

    beforeAll(async () => {
      const tls = await testTlsPair();
      configurations = renderedWebhookConfigurations({
        values: {
          "certificates.mode": "existingSecret",
          "certificates.existingSecret": {
            name: "cvm-admission-tls",
            caBundle: Buffer.from(tls.ca).toString("base64"),
          },
        },
      });
    });

    afterAll(() => servers.closeAll());

    // One server per distinct config (the cases' config.yaml overrides).
    const serverFor = (overrides: object): Promise<TestServer> =>
      servers.get(JSON.stringify(overrides), () => ({
        config: configWith(overrides),
        objects: namespaces.items,
      }));

    it("renders both webhook configurations with the chart's caBundle", () => {
      const bundles = configurations.flatMap((c) =>
        (c as { webhooks: { clientConfig: { caBundle?: string } }[] }).webhooks.map(
          (w) => w.clientConfig.caBundle,
        ),
      );
      expect(bundles.length).toBeGreaterThanOrEqual(3);
      expect(new Set(bundles).size).toBe(1);
      expect(bundles[0]).toBeTruthy();
    });

    it.each(cases)("%s", async (id, golden) => {
      const input = goldenFile(golden, "input.yaml") as V1Pod;
      const decision = goldenFile(golden, "decision.yaml") as GoldenDecision;
      const server = await serverFor((goldenFile(golden, "config.yaml") ?? {}) as object);
      const request = {
        webhookConfigurations: configurations,
        serviceAddr: `cvm-system/cvm-admission=127.0.0.1:${server.port}`,
        namespace: namespaces,
        object: input,
      };
      const exception = WHOLE_SYSTEM[id];
      if (exception && "neverSent" in exception) {
        await expect(admit(request)).rejects.toThrow(exception.neverSent);
        return;
      }
      const result = await admit(request);
      expect(result.harnessError).toBeUndefined();
      const detail = JSON.stringify({ status: result.status, deniedIn: result.deniedIn });
      if (exception) {
        expect(result.allowed, detail).toBe(false);
        expect(result.deniedIn).toBe("validating-phase");
        expect(result.status?.message).toMatch(exception.denied);
        return;
      }
      expect(result.allowed, detail).toBe(decision.allowed);
      if (!decision.allowed) {
        expect(result.status?.code).toBe(403);
        for (const reason of decision.reasons ?? []) expect(result.status?.message).toContain(reason);
        return;
      }
      for (const warning of decision.warnings) expect(result.warnings).toContain(warning);
      const admitted = withoutIstioRecord(result.object as V1Pod);
      const expected = (goldenFile(golden, "expected.yaml") as V1Pod | undefined) ?? input;
      expect(withoutRoundTrip(admitted.pod)).toEqual(withoutRoundTrip(expected));
      // The Istio step ran after the transform (default policy optOut, namespace without Istio).
      expect(admitted.inject).toBe("false");
      expect(admitted.state).toBe("not-injected");
    });
  },
);
