// The live cluster view against test/support/fake-apiserver.ts, a loopback HTTPS server speaking
// the Kubernetes list/watch protocol. It stands in for the apiserver because none can run here.
// After every fault (dropped connection, 410 Gone as an event and as a status, stalled watch, slow
// and failing responses) the caches must converge to the server's state, with every change passed
// on exactly once when the watch resumes (nothing lost, nothing duplicated).

import type { V1Node } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeFacts } from "../../../src/cluster/facts.js";
import type { LiveClusterView, LiveNodeFacts } from "../../../src/cluster/live/live-view.js";
import { watchRestarts } from "../../../src/cluster/live/metrics.js";
import { registry } from "../../../src/telemetry/metrics.js";
import { startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.js";
import { eventually, listRequests, liveView, namespace, node, pod, watchRequests } from "./support.js";

let api: FakeApiServer;
let view: LiveClusterView;
let changes: Array<[string, string | undefined]>;

beforeEach(async () => {
  api = await startFakeApiServer();
  for (let i = 0; i < 5; i++)
    api.put("nodes", node(`n${i}`, i % 2 === 0 ? "6.8.0-1015-aws" : "4.19.0-11-amd64"));
  api.put("namespaces", namespace("work", { "cvm.dev/enabled": "true" }));
  api.put("pods", pod("work", "vm", true, "n0"));
  api.put("pods", pod("work", "web", false, "n1"));
  view = liveView(api);
  changes = [];
  view.onNodeChange((name, facts) => changes.push([name, facts?.kernelVersion]));
});

afterEach(async () => {
  await view.stop();
  await api.close();
});

/** The cache holds exactly the server's nodes, as facts. */
function expectNodesConverged(): void {
  const expected = api
    .list("nodes")
    .map((n) => nodeFacts(n as V1Node, "cvm.dev/eligible"))
    .sort((a, b) => a.name.localeCompare(b.name));
  const cached = [...view.nodes()]
    .map(({ eligibilityAnnotation: _a, ...facts }: LiveNodeFacts) => facts)
    .sort((a, b) => a.name.localeCompare(b.name));
  expect(cached).toEqual(expected);
}

const restarts = async (resource: string, reason: string) =>
  (await watchRestarts.get()).values.find((v) => v.labels.resource === resource && v.labels.reason === reason)
    ?.value ?? 0;

async function started(): Promise<void> {
  view.start();
  await eventually(() => expect(view.isSynced()).toBe(true));
  await eventually(() => expect(api.openWatches()).toBe(3));
  changes = []; // the first list's additions
}

describe("first list", () => {
  it("is not synced before the lists complete, then holds facts only (paged list)", async () => {
    api.delayMs = 150;
    view.start();
    expect(view.isSynced()).toBe(false);
    await eventually(() => expect(view.isSynced()).toBe(true));
    expectNodesConverged();
    // 5 nodes in pages of 2: three list requests, the later ones with a continue token.
    const lists = listRequests(api, "/api/v1/nodes");
    expect(lists).toHaveLength(3);
    expect(lists[1]!.query["continue"]).toBeTruthy();
    expect(Object.keys(view.node("n0")!).sort()).toEqual([
      "kernelVersion",
      "name",
      "operatingSystem",
      "osImage",
    ]);
    expect(view.namespace("work")?.labels["cvm.dev/enabled"]).toBe("true");
  });

  it("caches only CVM pods, by label selector", async () => {
    await started();
    expect(view.cvmPod("work", "vm")?.nodeName).toBe("n0");
    expect(view.cvmPod("work", "web")).toBeUndefined();
    expect(listRequests(api, "/api/v1/pods")[0]!.query["labelSelector"]).toBe("cvm.dev/enabled=true");
  });

  it("stays unsynced while the apiserver fails, then syncs after backoff", async () => {
    api.failNext(3, 500, (r) => r.path === "/api/v1/namespaces");
    view.start();
    await eventually(() => expect(view.isSynced()).toBe(true));
    expect(listRequests(api, "/api/v1/namespaces")).toHaveLength(4);
  });
});

describe("watch", () => {
  it("applies ADDED, MODIFIED and DELETED; skips updates that change no fact", async () => {
    await started();
    api.put("nodes", node("n5", "5.15.0-1020-azure"));
    api.put("nodes", node("n1", "5.4.0-1067-azure"));
    api.remove("nodes", "n2");
    const n3 = node("n3", "4.19.0-11-amd64");
    n3.status!.images = [{ names: ["busybox:1.36"], sizeBytes: 1 }];
    api.put("nodes", n3); // only images changed: not a fact
    await eventually(() => {
      expectNodesConverged();
      expect(changes).toEqual([
        ["n5", "5.15.0-1020-azure"],
        ["n1", "5.4.0-1067-azure"],
        ["n2", undefined],
      ]);
    });
  });

  it("asks for bookmarks and resumes from the bookmark's resourceVersion", async () => {
    await started();
    expect(watchRequests(api, "/api/v1/nodes")[0]!.query["allowWatchBookmarks"]).toBe("true");
    api.put("namespaces", namespace("other")); // moves the global resourceVersion past the nodes'
    api.bookmark();
    const bookmarked = String(api.resourceVersion());
    await new Promise((r) => setTimeout(r, 100));
    api.dropWatches();
    await eventually(() => expect(watchRequests(api, "/api/v1/nodes")).toHaveLength(2));
    expect(watchRequests(api, "/api/v1/nodes")[1]!.query["resourceVersion"]).toBe(bookmarked);
  });

  it("resumes after dropped connections without relisting, and loses nothing changed meanwhile", async () => {
    await started();
    for (let round = 0; round < 3; round++) {
      api.dropWatches();
      api.put("nodes", node(`late${round}`, "6.1.94"));
      api.put("nodes", node("n1", `5.${10 + round}.0`));
      api.remove("nodes", `n${round * 2}`);
      await eventually(() => expect(api.openWatches("nodes")).toBe(1));
    }
    await eventually(expectNodesConverged);
    expect(listRequests(api, "/api/v1/nodes")).toHaveLength(3); // the first (paged) list only
    // Every change passed on once, in order.
    expect(changes).toEqual([
      ["late0", "6.1.94"],
      ["n1", "5.10.0"],
      ["n0", undefined],
      ["late1", "6.1.94"],
      ["n1", "5.11.0"],
      ["n2", undefined],
      ["late2", "6.1.94"],
      ["n1", "5.12.0"],
      ["n4", undefined],
    ]);
  });

  it.each([
    ["an ERROR event", false],
    ["HTTP 410", true],
  ])("relists on 410 Gone (%s) and converges, deletions included", async (_how, asStatus) => {
    await started();
    api.expiredAsHttpStatus = asStatus;
    api.stallWatches(); // nothing reaches us while we are away...
    api.put("nodes", node("n9", "6.6.57.1-6.azl3"));
    api.remove("nodes", "n3");
    api.put("nodes", node("n0", "3.10.0-1160.el7.x86_64"));
    api.compact(); // ...and the history we would resume from is gone
    api.dropWatches();
    await eventually(() => {
      expectNodesConverged();
      expect(listRequests(api, "/api/v1/nodes").length).toBeGreaterThan(3);
    });
    expect(changes).toEqual(
      expect.arrayContaining([
        ["n3", undefined],
        ["n9", "6.6.57.1-6.azl3"],
        ["n0", "3.10.0-1160.el7.x86_64"],
      ]),
    );
    expect(changes).toHaveLength(3);
  });

  it("backs off when the apiserver expires every watch right after the relist", async () => {
    await started();
    api.failNext(4, 410, (r) => r.path === "/api/v1/nodes" && r.query["watch"] === "true");
    const began = Date.now();
    api.dropWatches();
    api.put("nodes", node("n9", "6.1.94"));
    // One relist (3 pages) per 410; from the second on each waited (backoff from 20 ms, jitter to half).
    await eventually(() => expect(listRequests(api, "/api/v1/nodes")).toHaveLength(3 + 4 * 3));
    await eventually(() => expect(api.openWatches("nodes")).toBe(1));
    expectNodesConverged();
    expect(Date.now() - began).toBeGreaterThanOrEqual(10 + 10 + 20 + 40 + 80 - 10);
  });

  it("restarts a stalled watch after its idle deadline and catches up", async () => {
    await started();
    const errorsBefore = await restarts("nodes", "error");
    api.stallWatches();
    api.put("nodes", node("n7", "6.12.55+"));
    // timeoutSeconds is 1-2 s and the grace 400 ms: the silent watch is abandoned and resumed.
    await eventually(expectNodesConverged, 6000);
    expect(view.node("n7")?.kernelVersion).toBe("6.12.55+");
    expect(await restarts("nodes", "error")).toBe(errorsBefore + 1);
    const watches = watchRequests(api, "/api/v1/nodes");
    expect(watches[1]!.query["resourceVersion"]).toBe(watches[0]!.query["resourceVersion"]); // resumed, not relisted
    expect(listRequests(api, "/api/v1/nodes")).toHaveLength(3);
  });

  it("rewatches from where it was when the server ends a watch at timeoutSeconds", async () => {
    await started();
    api.endWatches();
    await eventually(() => expect(watchRequests(api, "/api/v1/nodes")).toHaveLength(2));
    api.put("nodes", node("n8", "6.1.94"));
    await eventually(expectNodesConverged);
    expect(listRequests(api, "/api/v1/nodes")).toHaveLength(3);
  });

  it("follows a pod leaving and entering the CVM label selector", async () => {
    await started();
    api.put("pods", pod("work", "vm", false, "n0"));
    await eventually(() => expect(view.cvmPod("work", "vm")).toBeUndefined());
    api.put("pods", pod("work", "web", true, "n1"));
    await eventually(() => expect(view.cvmPod("work", "web")?.nodeName).toBe("n1"));
  });

  it("converges under slow responses and failing watches", async () => {
    await started();
    api.delayMs = 200;
    api.failNext(4, 503, (r) => r.query["watch"] === "true");
    api.dropWatches();
    api.put("nodes", node("n6", "5.10.25-linuxkit"));
    await eventually(expectNodesConverged, 8000);
  });
});

describe("stop", () => {
  // Found by CI: a stop that landed while a list was in flight waited for the watch that followed.
  it("returns promptly when called while the first list is in flight", async () => {
    api.delayMs = 300;
    view.start();
    await eventually(() => expect(listRequests(api, "/api/v1/nodes").length).toBeGreaterThan(0));
    const began = Date.now();
    await view.stop();
    expect(Date.now() - began).toBeLessThan(2000);
    expect(api.openWatches()).toBe(0);
  });
});

describe("metrics", () => {
  it("reports nodes by verdict and each cache's age while started, nothing after stop", async () => {
    await started();
    const text = await registry.metrics();
    expect(text).toMatch(/^cvm_admission_nodes\{verdict="eligible"\} 3$/m);
    expect(text).toMatch(/^cvm_admission_nodes\{verdict="below-minimum"\} 2$/m);
    expect(text).toMatch(/^cvm_admission_cache_age_seconds\{resource="pods"\} \d/m);
    await view.stop();
    const after = await registry.metrics();
    expect(after).toMatch(/^cvm_admission_nodes\{verdict="eligible"\} 0$/m);
    expect(after).not.toMatch(/^cvm_admission_cache_age_seconds\{/m);
  });
});

describe("direct reads on a cache miss", () => {
  it("reads a node and a pod once, 404 as undefined", async () => {
    await started();
    const before = api.requests.length;
    expect((await view.readNode("n1"))?.kernelVersion).toBe("4.19.0-11-amd64");
    expect((await view.readPod("work", "web"))?.labels["app"]).toBe("web");
    expect(await view.readNode("missing")).toBeUndefined();
    expect(api.requests.slice(before).map((r) => r.path)).toEqual([
      "/api/v1/nodes/n1",
      "/api/v1/namespaces/work/pods/web",
      "/api/v1/nodes/missing",
    ]);
  });

  it("gives up after cluster.readTimeoutMs", async () => {
    await started();
    api.delayMs = 1000;
    const began = Date.now();
    await expect(view.readNode("n1")).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - began).toBeLessThan(900);
  });

  it("uses the kubeconfig's credentials (a wrong token is refused with 401)", async () => {
    const kc = api.kubeConfig();
    kc.users[0] = { ...kc.users[0]!, token: "not-the-token" };
    const stranger = liveView({ ...api, kubeConfig: () => kc });
    await expect(stranger.readNode("n1")).rejects.toThrow(/HTTP 401/);
    await expect(liveView(api).readNode("n1")).resolves.toMatchObject({ name: "n1" });
  });
});
