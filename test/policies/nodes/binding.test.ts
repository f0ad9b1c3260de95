// The scheduling backstop, called directly as the validating webhook calls it: pods/binding CREATE
// and pod CREATE with spec.nodeName, with the caches hit, missed, and unreadable. Real Node objects
// (test/fixtures/nodes) plus a Windows node written here; the view is the file view with its cache
// lookups switched off per test, which is how the live view behaves on a cache miss (its direct
// reads are tested against the fake apiserver in test/cluster/live/).

import { readFileSync } from "node:fs";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { beforeEach, describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../src/kube/admission-review.js";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import type { NodeFacts, PodFacts } from "../../../src/cluster/view.js";
import { defaultConfig } from "../../../src/config/load.js";
import type { PolicyContext } from "../../../src/policies/context.js";
import type { Decision } from "../../../src/policies/decision.js";
import {
  denyBindingToIneligibleNode,
  denyPodCreateOnIneligibleNode,
} from "../../../src/policies/nodes/binding.js";
import { bindingRequest } from "./support.js";

const config = defaultConfig();
const nodeList = JSON.parse(
  readFileSync(
    new URL("../../fixtures/nodes/nodelist-troubleshoot-gke-do-aws.json", import.meta.url),
    "utf8",
  ),
) as { items: V1Node[] };

const windowsNode: V1Node = {
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "akswin000000", labels: { "kubernetes.io/os": "windows" } },
  status: {
    nodeInfo: {
      operatingSystem: "windows",
      kernelVersion: "10.0.17763.7009",
      osImage: "Windows Server 2019 Datacenter",
      architecture: "amd64",
      bootID: "",
      containerRuntimeVersion: "containerd://1.7.20",
      kubeProxyVersion: "v1.30.0",
      kubeletVersion: "v1.30.0",
      machineID: "",
      systemUUID: "",
    },
  },
};

const ELIGIBLE = "ip-172-31-21-92"; // 6.8.0-1015-aws
const DEBIAN_4_19 = "biggernode-3i745"; // 4.19.0-11-amd64
const WINDOWS = "akswin000000";

function pod(name: string, cvm: boolean, nodeName?: string): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "work", labels: cvm ? { [config.labels.podOptIn]: "true" } : { app: name } },
    spec: { containers: [{ name: "main", image: "ubuntu:24.04" }], ...(nodeName ? { nodeName } : {}) },
  };
}

/** The file view with chosen cache lookups missing and every direct read counted. */
class CountingView extends FileClusterView {
  uncachedNodes = new Set<string>();
  uncachedPods = new Set<string>();
  failReads = false;
  nodeReads: string[] = [];
  podReads: string[] = [];

  override node(name: string): NodeFacts | undefined {
    return this.uncachedNodes.has(name) ? undefined : super.node(name);
  }
  override cvmPod(namespace: string, name: string): PodFacts | undefined {
    return this.uncachedPods.has(name) ? undefined : super.cvmPod(namespace, name);
  }
  override async readNode(name: string): Promise<NodeFacts | undefined> {
    this.nodeReads.push(name);
    if (this.failReads) throw new Error("timed out after 1000 ms");
    return super.readNode(name);
  }
  override async readPod(namespace: string, name: string): Promise<PodFacts | undefined> {
    this.podReads.push(`${namespace}/${name}`);
    if (this.failReads) throw new Error("timed out after 1000 ms");
    return super.readPod(namespace, name);
  }
}

let view: CountingView;
beforeEach(() => {
  view = new CountingView(
    [...nodeList.items.map((n) => ({ ...n, kind: "Node" })), windowsNode, pod("vm", true), pod("web", false)],
    config,
  );
});

function createRequest(object: V1Pod): AdmissionRequest {
  return {
    uid: "u2",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    namespace: "work",
    name: object.metadata?.name ?? "",
    operation: "CREATE",
    userInfo: { username: "alice" },
    object,
  };
}

const ctx = (request: AdmissionRequest): PolicyContext => ({ request, view, config });
const bind = (podName: string, node: string | undefined) =>
  denyBindingToIneligibleNode(ctx(bindingRequest(podName, node)));
const create = (p: V1Pod) => denyPodCreateOnIneligibleNode(ctx(createRequest(p)));

function reasonsOf(decision: Decision): string[] {
  expect(decision.allowed).toBe(false);
  return decision.allowed ? [] : decision.reasons;
}

describe("pods/binding CREATE", () => {
  it("denies a CVM pod's binding to a 4.x node, naming pod, node, kernel and minimum", async () => {
    const decision = await bind("vm", DEBIAN_4_19);
    const [reason] = reasonsOf(decision);
    expect(reason).toContain("pod work/vm");
    expect(reason).toContain(`node ${DEBIAN_4_19}`);
    expect(reason).toContain('"4.19.0-11-amd64"');
    expect(reason).toContain("minimum 5.4");
    expect(decision.allowed === false && decision.code).toBe(403);
  });

  it("denies a CVM pod's binding to a Windows node", async () => {
    const [reason] = reasonsOf(await bind("vm", WINDOWS));
    expect(reason).toMatch(/"windows".*"10\.0\.17763\.7009".*not Linux.*5\.4/);
  });

  it("judges the legacy POST /bindings (resource bindings, no subresource) the same way", async () => {
    const legacy = (podName: string, node: string) => {
      const request = bindingRequest(podName, node);
      return denyBindingToIneligibleNode(
        ctx({ ...request, resource: { ...request.resource, resource: "bindings" }, subResource: undefined }),
      );
    };
    expect(reasonsOf(await legacy("vm", DEBIAN_4_19))[0]).toContain(`node ${DEBIAN_4_19}`);
    expect((await legacy("vm", ELIGIBLE)).allowed).toBe(true);
    expect((await legacy("web", DEBIAN_4_19)).allowed).toBe(true);
  });

  it("allows a CVM pod's binding to an eligible node", async () => {
    expect((await bind("vm", ELIGIBLE)).allowed).toBe(true);
  });

  it("allows a non-CVM pod's binding to a 4.x or Windows node", async () => {
    expect((await bind("web", DEBIAN_4_19)).allowed).toBe(true);
    expect((await bind("web", WINDOWS)).allowed).toBe(true);
  });

  it("costs a binding to an eligible cached node no direct read, whatever the pod", async () => {
    view.uncachedPods.add("web");
    expect((await bind("web", ELIGIBLE)).allowed).toBe(true);
    expect((await bind("vm", ELIGIBLE)).allowed).toBe(true);
    expect(view.podReads).toEqual([]);
    expect(view.nodeReads).toEqual([]);
  });

  it("reads a pod missing from the CVM cache once, then judges it", async () => {
    view.uncachedPods.add("vm");
    expect((await bind("vm", DEBIAN_4_19)).allowed).toBe(false);
    expect(view.podReads).toEqual(["work/vm"]);
    view.uncachedPods.add("web");
    view.podReads = [];
    expect((await bind("web", DEBIAN_4_19)).allowed).toBe(true);
    expect(view.podReads).toEqual(["work/web"]);
  });

  it("reads a node missing from the cache once", async () => {
    view.uncachedNodes.add(DEBIAN_4_19);
    expect((await bind("vm", DEBIAN_4_19)).allowed).toBe(false);
    view.uncachedNodes.add(ELIGIBLE);
    expect((await bind("vm", ELIGIBLE)).allowed).toBe(true);
    expect(view.nodeReads).toEqual([DEBIAN_4_19, ELIGIBLE]);
  });

  it("denies a CVM pod whose node is unknown after the read, allows a non-CVM pod", async () => {
    const [reason] = reasonsOf(await bind("vm", "node-that-does-not-exist"));
    expect(reason).toMatch(/node node-that-does-not-exist: the node does not exist.*minimum 5\.4/);
    expect((await bind("web", "node-that-does-not-exist")).allowed).toBe(true);
  });

  it("fails closed when neither pod nor node can be read", async () => {
    view.uncachedPods.add("vm");
    view.uncachedNodes.add(ELIGIBLE);
    view.failReads = true;
    const [reason] = reasonsOf(await bind("vm", ELIGIBLE));
    expect(reason).toContain("could not be read");
    expect(reason).toContain("timed out after 1000 ms");
    expect(view.podReads).toEqual(["work/vm"]);
    expect(view.nodeReads).toEqual([ELIGIBLE]);
  });

  it("refuses a Binding without a target node with a clear 400", async () => {
    const decision = await bind("vm", undefined);
    expect(reasonsOf(decision)[0]).toContain("names no target node");
    expect(decision.allowed === false && decision.code).toBe(400);
    const garbage = bindingRequest("vm", ELIGIBLE);
    garbage.object = "not an object";
    expect((await denyBindingToIneligibleNode(ctx(garbage))).allowed).toBe(false);
  });

  it("ignores every other request", async () => {
    const update = bindingRequest("vm", DEBIAN_4_19);
    update.operation = "UPDATE";
    expect((await denyBindingToIneligibleNode(ctx(update))).allowed).toBe(true);
    const status = bindingRequest("vm", DEBIAN_4_19);
    status.subResource = "status";
    expect((await denyBindingToIneligibleNode(ctx(status))).allowed).toBe(true);
  });

  it("reports each refusal with its request and the node's verdict, for the metrics", async () => {
    expect((await bind("vm", WINDOWS)).observations).toEqual([
      { kind: "node-refused", request: "binding", verdict: "not-linux" },
    ]);
    expect((await create(pod("vm2", true, WINDOWS))).observations).toEqual([
      { kind: "node-refused", request: "create", verdict: "not-linux" },
    ]);
    expect((await bind("vm", ELIGIBLE)).observations).toBeUndefined();
  });
});

describe("pod CREATE with spec.nodeName", () => {
  it("denies a CVM pod placed on a 4.x node", async () => {
    const [reason] = reasonsOf(await create(pod("vm2", true, DEBIAN_4_19)));
    expect(reason).toMatch(
      /CVM pod work\/vm2 cannot run on node biggernode-3i745: kernel "4\.19\.0-11-amd64".*5\.4/,
    );
  });

  it("allows a CVM pod placed on an eligible node and any pod without nodeName", async () => {
    expect((await create(pod("vm2", true, ELIGIBLE))).allowed).toBe(true);
    expect((await create(pod("vm3", true))).allowed).toBe(true);
  });

  it("never reads anything for a non-CVM pod, even on an unknown node", async () => {
    view.failReads = true;
    expect((await create(pod("web2", false, "nowhere"))).allowed).toBe(true);
    expect((await create(pod("web3", false, WINDOWS))).allowed).toBe(true);
    expect(view.nodeReads).toEqual([]);
  });

  it("reads an uncached node once and denies when it stays unknown", async () => {
    view.uncachedNodes.add(ELIGIBLE);
    view.failReads = true;
    const [reason] = reasonsOf(await create(pod("vm2", true, ELIGIBLE)));
    expect(reason).toContain("reading it failed (timed out after 1000 ms)");
    expect(view.nodeReads).toEqual([ELIGIBLE]);
  });
});
