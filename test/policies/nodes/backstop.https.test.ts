// The scheduling backstop end to end: AdmissionReviews over HTTPS to the real server (POST
// /validate), whose cluster view is the live view watching the fake apiserver
// (test/support/fake-apiserver.ts stands in for the apiserver because none can run here), so
// cache misses go out as real direct reads.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../../src/kube/admission-review.js";
import { KubeClient } from "../../../src/cluster/live/kube-client.js";
import { LiveClusterView } from "../../../src/cluster/live/live-view.js";
import { eventually, FAST, namespace, node, pod, testConfig } from "../../cluster/live/support.js";
import { startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.js";
import { startTestServer, type TestServer } from "../../support/server.js";
import { bindingRequest } from "./support.js";

let api: FakeApiServer;
let view: LiveClusterView;
let server: TestServer;
const config = testConfig();

beforeAll(async () => {
  api = await startFakeApiServer();
  api.put("nodes", node("node-ubuntu-6-8", "6.8.0-1015-aws"));
  api.put("nodes", node("node-al2-4-14", "4.14.154-128.181.amzn2.x86_64"));
  api.put("nodes", node("node-windows-2022", "10.0.20348.1668", "windows"));
  api.put("namespaces", namespace("work", { "cvm.dev/enabled": "true" }));
  api.put("pods", pod("work", "vm", true));
  api.put("pods", pod("work", "web", false));
  view = new LiveClusterView(new KubeClient(api.kubeConfig()), config, { timing: FAST });
  view.start();
  await eventually(() => expect(view.isSynced()).toBe(true));
  server = await startTestServer({ view, config });
});

afterAll(async () => {
  await server.close();
  await view.stop();
  await api.close();
});

async function validateBinding(
  podName: string,
  nodeName: string,
): Promise<NonNullable<AdmissionReview["response"]>> {
  const review = await server.review("/validate", {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: bindingRequest(podName, nodeName),
  });
  expect(review.response?.uid).toBe("u1");
  return review.response!;
}

describe("pods/binding over HTTPS", () => {
  it("denies a CVM pod's binding to a 4.x node with pod, node, kernel and minimum", async () => {
    const response = await validateBinding("vm", "node-al2-4-14");
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.message).toContain(
      'CVM pod work/vm cannot be bound to node node-al2-4-14: kernel "4.14.154-128.181.amzn2.x86_64" (4.14) is below the minimum 5.4',
    );
  });

  it("denies a CVM pod's binding to a Windows node", async () => {
    const response = await validateBinding("vm", "node-windows-2022");
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toMatch(
      /node node-windows-2022: operating system "windows" .* is not Linux/,
    );
  });

  it("allows a CVM pod's binding to an eligible node and a non-CVM pod's binding anywhere", async () => {
    expect((await validateBinding("vm", "node-ubuntu-6-8")).allowed).toBe(true);
    expect((await validateBinding("web", "node-al2-4-14")).allowed).toBe(true);
    expect((await validateBinding("web", "node-windows-2022")).allowed).toBe(true);
  });

  it("falls back to one direct read for a pod the cache has not seen yet", async () => {
    api.stallWatches();
    api.put("pods", pod("work", "vm2", true));
    api.put("pods", pod("work", "web2", false));
    expect(view.cvmPod("work", "vm2")).toBeUndefined();
    expect((await validateBinding("vm2", "node-al2-4-14")).allowed).toBe(false);
    expect((await validateBinding("web2", "node-al2-4-14")).allowed).toBe(true);
    const reads = api.requests.filter((r) => /^\/api\/v1\/namespaces\/work\/pods\/(vm2|web2)$/.test(r.path));
    expect(reads.map((r) => r.path)).toEqual([
      "/api/v1/namespaces/work/pods/vm2",
      "/api/v1/namespaces/work/pods/web2",
    ]);
  });

  it("falls back to one direct read for a node the cache has not seen yet", async () => {
    api.stallWatches();
    api.put("nodes", node("node-new-3-10", "3.10.0-1160.el7.x86_64"));
    expect(view.node("node-new-3-10")).toBeUndefined();
    const response = await validateBinding("vm", "node-new-3-10");
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain(
      'kernel "3.10.0-1160.el7.x86_64" (3.10) is below the minimum 5.4',
    );
    expect(api.requests.filter((r) => r.path === "/api/v1/nodes/node-new-3-10")).toHaveLength(1);
  });
});
