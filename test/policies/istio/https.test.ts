// The Istio policies over HTTPS as a new user meets them: AdmissionReviews POSTed to the real
// server's /mutate and /validate, the patch applied as the apiserver would, Istio's injection
// replayed from its fixture between the two (with our re-invocation after it).

import type { V1Pod } from "@kubernetes/client-node";
import fastJsonPatch from "fast-json-patch";
import { afterAll, describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../../src/kube/admission-review.js";
import type { IstioPolicy } from "../../../src/config/config.js";
import { loadConfig } from "../../../src/config/load.js";
import { patchOf, reviewOf, startTestServer, type TestServer } from "../../support/server.js";
import { asCvmPod, fixturePod, INJECT_CASES, injectLikeIstio, namespace, withProxyImage } from "./support.js";

const NS = namespace("workspaces", { "cvm.dev/enabled": "true", "istio-injection": "enabled" });
const defaultCase = INJECT_CASES.find((c) => c.case === "default")!;
const servers = new Map<IstioPolicy, Promise<TestServer>>();

function server(policy: IstioPolicy): Promise<TestServer> {
  let started = servers.get(policy);
  if (!started) {
    const config = loadConfig({ env: { CVM_ADMISSION_ISTIO_POLICY: policy } });
    // Istio's injector test data (test/fixtures/istio/inject) takes its images from this hub.
    config.istio.proxyImageRepositories.push("registry.istio.io/testing");
    started = startTestServer({ config, objects: [NS] });
    servers.set(policy, started);
  }
  return started;
}

afterAll(async () => {
  await Promise.all([...servers.values()].map(async (s) => (await s).close()));
});

const cvmPod = (pod = fixturePod(`inject/${defaultCase.input}`)) => asCvmPod(pod, "workspaces", "ws-1");

async function post(
  policy: IstioPolicy,
  path: "/mutate" | "/validate",
  pod: V1Pod,
): Promise<AdmissionReview> {
  return (await server(policy)).review(
    path,
    reviewOf({ namespace: "workspaces", name: "ws-1", object: pod }),
  );
}

/** Istio's part of an answer: other policies (the CVM transform, access checks) may add their own. */
function aboutIstio(review: AdmissionReview): string[] {
  const texts = [...(review.response?.warnings ?? []), review.response?.status?.message ?? ""];
  return texts.filter((text) => /istio/i.test(text));
}

function applied(pod: V1Pod, review: AdmissionReview): V1Pod {
  return fastJsonPatch.applyPatch(structuredClone(pod), patchOf(review) as fastJsonPatch.Operation[], true)
    .newDocument;
}

describe("Istio over HTTPS", () => {
  it("default policy: a CVM pod in an istio-injection=enabled namespace comes out of /mutate labelled out", async () => {
    const review = await post("optOut", "/mutate", cvmPod());
    expect(review.response?.allowed).toBe(true);
    const mutated = applied(cvmPod(), review);
    expect(mutated.metadata?.labels?.["sidecar.istio.io/inject"]).toBe("false");
    // Re-invocation on our own output: nothing more to do.
    expect(patchOf(await post("optOut", "/mutate", mutated))).toEqual([]);
    const verdict = await post("optOut", "/validate", mutated);
    expect(verdict.response).toMatchObject({ allowed: true });
    expect(aboutIstio(verdict)).toEqual([]);
  });

  it("optOut: an injected pod is denied with 403 naming the signal", async () => {
    const review = await post("optOut", "/validate", cvmPod(fixturePod(`inject/${defaultCase.injected}`)));
    expect(review.response?.allowed).toBe(false);
    expect(review.response?.status?.code).toBe(403);
    expect(review.response?.status?.message).toContain("signal: native sidecar init container istio-proxy");
  });

  it("warn: mutation, Istio's injection, re-invocation touching only our record, then a warning naming the version", async () => {
    const first = applied(cvmPod(), await post("warn", "/mutate", cvmPod()));
    expect(first.metadata?.labels?.["sidecar.istio.io/inject"]).toBeUndefined();
    const injected = withProxyImage(
      injectLikeIstio(first, defaultCase),
      "docker.io/istio/proxyv2:1.20.3-distroless",
    );
    const reinvoked = await post("warn", "/mutate", injected);
    const touched = patchOf(reinvoked).map((op) => (op as { path: string }).path);
    expect(touched).toEqual(["/metadata/annotations/cvm.dev~1istio"]);
    const final = applied(injected, reinvoked);
    expect(final.spec).toEqual(injected.spec);
    const verdict = await post("warn", "/validate", final);
    expect(verdict.response?.allowed).toBe(true);
    expect(aboutIstio(verdict)).toEqual([expect.stringContaining("proxy 1.20.3")]);
  });

  it("deny: a pod that will be injected is denied, saying how to opt out", async () => {
    const mutated = applied(cvmPod(), await post("deny", "/mutate", cvmPod()));
    const verdict = await post("deny", "/validate", mutated);
    expect(verdict.response?.status?.code).toBe(403);
    expect(verdict.response?.status?.message).toContain('sidecar.istio.io/inject: "false" to opt out');
  });

  it("reroute: /mutate adds the docker0 reroute with a DNS warning; /validate warns about DNS", async () => {
    const review = await post("reroute", "/mutate", cvmPod());
    expect(aboutIstio(review)).toEqual([expect.stringContaining("DNS capture stays broken")]);
    const mutated = applied(cvmPod(), review);
    expect(mutated.metadata?.annotations?.["istio.io/reroute-virtual-interfaces"]).toBe("docker0");
    const injected = injectLikeIstio(mutated, defaultCase);
    const verdict = await post(
      "reroute",
      "/validate",
      applied(injected, await post("reroute", "/mutate", injected)),
    );
    expect(verdict.response?.allowed).toBe(true);
    expect(aboutIstio(verdict)).toEqual([expect.stringContaining("DNS capture does not work")]);
  });

  it.each<IstioPolicy>(["optOut", "reroute", "warn", "deny"])(
    "%s: pods with sidecar.istio.io/inject=false or hostNetwork are never flagged",
    async (policy) => {
      const optedOut = cvmPod();
      optedOut.metadata!.labels!["sidecar.istio.io/inject"] = "false";
      const hostNetwork = cvmPod(fixturePod("inject/host-network-skipped/input.yaml"));
      for (const pod of [optedOut, hostNetwork]) {
        const mutation = await post(policy, "/mutate", pod);
        expect(aboutIstio(mutation)).toEqual([]);
        const verdict = await post(policy, "/validate", applied(pod, mutation));
        expect(aboutIstio(verdict)).toEqual([]);
      }
    },
  );
});
