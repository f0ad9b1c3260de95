// Each Istio policy end to end: kube-apiserver's own admission code ($KUBE_ADMIT) runs our webhooks
// as the chart renders them (over HTTPS, to the real server) together with Istio's real
// MutatingWebhookConfiguration (fixture), whose injector is a stand-in (fake-istiod.ts) replaying
// Istio's recorded injection. The apiserver sorts configurations by name: ours (cvm-admission)
// runs before istio-sidecar-injector, Istio's injection re-invokes ours (IfNeeded), and our
// validating webhook sees the final pod. Renaming Istio's configuration to sort first gives the
// other order. Skipped, saying why, without the harness or a chart renderer.

import type { V1MutatingWebhookConfiguration, V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IstioPolicy } from "../../../src/config/config.js";
import { loadConfig } from "../../../src/config/load.js";
import { admissionSkipReason, renderedWebhookConfigurations } from "../../support/admission-harness.js";
import { admit, type AdmitResult } from "../../support/admit.js";
import { startTestServer, type TestServer } from "../../support/server.js";
import { testTlsPair } from "../../support/tls.js";
import { startFakeIstiod, type FakeIstiod } from "./fake-istiod.js";
import { asCvmPod, fixtureObjects, fixturePod, INJECT_CASES, namespace } from "./support.js";

if (admissionSkipReason) console.info(`Istio end-to-end admission tests SKIPPED: ${admissionSkipReason}`);

const NS = namespace("workspaces", { "cvm.dev/enabled": "true", "istio-injection": "enabled" });
const PROXY_IMAGE = "docker.io/istio/proxyv2:1.20.3-distroless";
const OUR_MUTATING_HOOK = "pods.mutate.cvm.dev";
const ISTIO_HOOK = "namespace.sidecar-injector.istio.io";
const defaultCase = INJECT_CASES.find((c) => c.case === "default")!;

const cvmPod = () => asCvmPod(fixturePod(`inject/${defaultCase.input}`), "workspaces", "ws-1");

const caBundle = (pem: string) => Buffer.from(pem).toString("base64");

describe.skipIf(admissionSkipReason !== undefined)("Istio policies through kube-apiserver admission", () => {
  let istiod: FakeIstiod;
  let ourConfigurations: object[];
  let istioConfiguration: V1MutatingWebhookConfiguration;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    istiod = await startFakeIstiod(defaultCase, PROXY_IMAGE);
    ourConfigurations = renderedWebhookConfigurations({}, (await testTlsPair()).ca);
    istioConfiguration = fixtureObjects(
      "webhook-config/mwc-istio-sidecar-injector-default-render.yaml",
    )[0] as V1MutatingWebhookConfiguration;
    for (const hook of istioConfiguration.webhooks ?? []) hook.clientConfig.caBundle = caBundle(istiod.ca);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await istiod?.close();
  });

  async function run(policy: IstioPolicy, istioFirst = false): Promise<AdmitResult> {
    const config = loadConfig({ env: { CVM_ADMISSION_ISTIO_POLICY: policy } });
    const server = await startTestServer({ config, objects: [NS] });
    servers.push(server);
    const istio = structuredClone(istioConfiguration);
    if (istioFirst) istio.metadata!.name = "aaa-istio-sidecar-injector";
    const result = await admit({
      webhookConfigurations: [...ourConfigurations, istio],
      object: cvmPod(),
      namespace: NS,
      serviceAddr: [
        `cvm-system/cvm-admission=127.0.0.1:${server.port}`,
        `istio-system/istiod=127.0.0.1:${istiod.port}`,
      ],
    });
    expect(result.harnessError).toBeUndefined();
    return result;
  }

  const calls = (result: AdmitResult, hook: string) =>
    result.webhookCalls?.find((c) => c.name === hook)?.calls ?? 0;
  const labels = (result: AdmitResult) => (result.object?.["metadata"] as V1Pod["metadata"])?.labels ?? {};
  const annotations = (result: AdmitResult) =>
    (result.object?.["metadata"] as V1Pod["metadata"])?.annotations ?? {};
  const meshContainers = (result: AdmitResult) =>
    [
      ...((result.object as V1Pod).spec?.initContainers ?? []),
      ...((result.object as V1Pod).spec?.containers ?? []),
    ]
      .map((c) => c.name)
      .filter((name) => name.startsWith("istio-"));

  it("optOut: the opt-out label keeps Istio's injector from being called at all", async () => {
    const result = await run("optOut");
    expect(result.allowed, JSON.stringify({ status: result.status, warnings: result.warnings })).toBe(true);
    expect(labels(result)["sidecar.istio.io/inject"]).toBe("false");
    expect(calls(result, ISTIO_HOOK)).toBe(0);
    expect(meshContainers(result)).toEqual([]);
    expect(JSON.parse(annotations(result)["cvm.dev/istio"]!)).toMatchObject({
      state: "not-injected",
      policy: "optOut",
    });
  });

  it("warn: Istio injects, re-invokes us, and the pod is allowed with a warning naming the proxy version", async () => {
    const result = await run("warn");
    expect(result.allowed, JSON.stringify({ status: result.status, warnings: result.warnings })).toBe(true);
    expect(calls(result, ISTIO_HOOK)).toBe(1);
    expect(calls(result, OUR_MUTATING_HOOK)).toBe(2);
    expect(meshContainers(result)).toEqual(["istio-init", "istio-proxy"]);
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/proxy 1\.20\.3.*signal: native sidecar init container istio-proxy/),
      ]),
    );
    expect(JSON.parse(annotations(result)["cvm.dev/istio"]!)).toMatchObject({
      state: "injected",
      proxyVersion: "1.20.3",
    });
  });

  it("deny: denied in the validating phase, saying how to opt out", async () => {
    const result = await run("deny");
    expect(result.allowed, JSON.stringify({ status: result.status, warnings: result.warnings })).toBe(false);
    expect(result.deniedIn).toBe("validating-phase");
    expect(result.status?.message).toContain('label the pod sidecar.istio.io/inject: "false" to opt out');
    expect(result.status?.message).toContain("proxy 1.20.3");
  });

  it("reroute: the annotation is on the pod before Istio renders, and DNS is warned about", async () => {
    const result = await run("reroute");
    expect(result.allowed, JSON.stringify({ status: result.status, warnings: result.warnings })).toBe(true);
    expect(calls(result, ISTIO_HOOK)).toBe(1);
    expect(annotations(result)["istio.io/reroute-virtual-interfaces"]).toBe("docker0");
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringContaining("DNS capture")]));
  });

  it("optOut with Istio's configuration sorting first: the injected pod is denied, naming the signal", async () => {
    const result = await run("optOut", true);
    expect(calls(result, ISTIO_HOOK)).toBe(1);
    expect(result.allowed, JSON.stringify({ status: result.status, warnings: result.warnings })).toBe(false);
    expect(result.deniedIn).toBe("validating-phase");
    expect(result.status?.message).toContain("signal: native sidecar init container istio-proxy");
    expect(result.status?.message).toContain("proxy 1.20.3");
  });

  it("warn with Istio's configuration sorting first: allowed with the version in the warning", async () => {
    const result = await run("warn", true);
    expect(result.allowed, JSON.stringify({ status: result.status, warnings: result.warnings })).toBe(true);
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringContaining("proxy 1.20.3")]));
  });
});
