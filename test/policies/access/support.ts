// Building blocks for the access tests: the cluster state (test/fixtures/access/cluster.yaml in a
// FileClusterView), the user's pod, requesters, and AdmissionRequests of every shape the validating
// webhook receives (CREATE, UPDATE with subresources, CONNECT with options objects).

import { readFileSync } from "node:fs";
import type { V1Pod } from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import type { AdmissionRequest, UserInfo } from "../../../src/kube/admission-review.js";
import { FileClusterView, parseClusterViewText } from "../../../src/cluster/file-view.js";
import type { PodFacts } from "../../../src/cluster/view.js";
import type { Config } from "../../../src/config/config.js";
import { defaultConfig } from "../../../src/config/load.js";
import type { PolicyContext } from "../../../src/policies/context.js";

const FIXTURES = new URL("../../fixtures/access/", import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

export const BREAK_GLASS_GROUP = "sre-break-glass";

export const USERS = {
  alice: { username: "alice", groups: ["devs", "system:authenticated"] },
  admin: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] },
  oncall: { username: "oncall", groups: [BREAK_GLASS_GROUP, "system:authenticated"] },
} satisfies Record<string, UserInfo>;

/** The default config with one break-glass group (the shipped default is an empty list). */
export function testConfig(): Config {
  const config = defaultConfig();
  config.access.breakGlassGroups = [BREAK_GLASS_GROUP];
  return config;
}

/** How the cluster answers: the file as is, a CVM pod cache that has not caught up (the direct read
 * still answers), or a cache miss whose direct read fails. The latter two stand in for states of
 * the live informer that cannot be produced here without a cluster. */
export type ViewState = "synced" | "cold-cache" | "unreachable";

class ColdCacheView extends FileClusterView {
  override cvmPod(): PodFacts | undefined {
    return undefined;
  }
}

class UnreachableView extends ColdCacheView {
  override async readPod(): Promise<PodFacts | undefined> {
    throw new Error("direct read timed out");
  }
}

export function clusterView(config: Config, state: ViewState = "synced"): FileClusterView {
  const objects = parseClusterViewText(fixtureText("cluster.yaml"), "cluster.yaml");
  const View = { synced: FileClusterView, "cold-cache": ColdCacheView, unreachable: UnreachableView }[state];
  return new View(objects, config);
}

export function contextFor(
  request: AdmissionRequest,
  config = testConfig(),
  state: ViewState = "synced",
): PolicyContext {
  return { request, view: clusterView(config, state), config };
}

export function userPod(): V1Pod {
  return parseYaml(fixtureText("user-pod.yaml")) as V1Pod;
}

let uid = 0;
function nextUid(): string {
  uid += 1;
  return `00000000-0000-4000-8000-${String(uid).padStart(12, "0")}`;
}

const POD_KIND = { group: "", version: "v1", kind: "Pod" };
const PODS = { group: "", version: "v1", resource: "pods" };

export function createPod(
  pod: V1Pod,
  user: UserInfo = USERS.alice,
  extra: Partial<AdmissionRequest> = {},
): AdmissionRequest {
  const namespace = pod.metadata?.namespace ?? "workspaces";
  return {
    uid: nextUid(),
    kind: POD_KIND,
    resource: PODS,
    requestKind: POD_KIND,
    requestResource: PODS,
    name: pod.metadata?.name ?? "",
    namespace,
    operation: "CREATE",
    userInfo: user,
    object: { ...pod, metadata: { ...pod.metadata, namespace } },
    oldObject: null,
    dryRun: false,
    options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    ...extra,
  };
}

export function updatePod(
  oldPod: V1Pod,
  newPod: V1Pod,
  subResource?: string,
  user: UserInfo = USERS.alice,
): AdmissionRequest {
  return {
    uid: nextUid(),
    kind: POD_KIND,
    resource: PODS,
    ...(subResource === undefined ? {} : { subResource, requestSubResource: subResource }),
    requestKind: POD_KIND,
    requestResource: PODS,
    name: newPod.metadata?.name ?? "",
    namespace: newPod.metadata?.namespace ?? "workspaces",
    operation: "UPDATE",
    userInfo: user,
    object: newPod,
    oldObject: oldPod,
    dryRun: false,
    options: { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1" },
  };
}

/** The options object the apiserver sends for each CONNECT subresource. */
const CONNECT_OPTIONS: Record<string, (container: string) => Record<string, unknown>> = {
  exec: (container) => ({
    kind: "PodExecOptions",
    apiVersion: "v1",
    stdin: true,
    stdout: true,
    tty: true,
    container,
    command: ["/bin/sh"],
  }),
  attach: (container) => ({
    kind: "PodAttachOptions",
    apiVersion: "v1",
    stdin: true,
    stdout: true,
    tty: true,
    container,
  }),
  portforward: () => ({ kind: "PodPortForwardOptions", apiVersion: "v1", ports: [2375] }),
  proxy: () => ({ kind: "PodProxyOptions", apiVersion: "v1", path: "/" }),
};

export function connect(
  subResource: "exec" | "attach" | "portforward" | "proxy",
  name: string,
  options: { namespace?: string; container?: string; user?: UserInfo; dryRun?: boolean } = {},
): AdmissionRequest {
  const kind = CONNECT_OPTIONS[subResource]!(options.container ?? "");
  const optionsKind = { group: "", version: "v1", kind: String(kind["kind"]) };
  return {
    uid: nextUid(),
    kind: optionsKind,
    resource: PODS,
    subResource,
    requestKind: optionsKind,
    requestResource: PODS,
    requestSubResource: subResource,
    name,
    namespace: options.namespace ?? "workspaces",
    operation: "CONNECT",
    userInfo: options.user ?? USERS.alice,
    object: kind,
    oldObject: null,
    dryRun: options.dryRun ?? false,
    options: null,
  };
}

/** A pods/binding CREATE as the scheduler sends it, with metadata of the caller's choosing. */
export function bindPod(
  name: string,
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
  user: UserInfo = { username: "system:kube-scheduler", groups: ["system:authenticated"] },
): AdmissionRequest {
  const kind = { group: "", version: "v1", kind: "Binding" };
  return {
    uid: nextUid(),
    kind,
    resource: PODS,
    subResource: "binding",
    requestKind: kind,
    requestResource: PODS,
    requestSubResource: "binding",
    name,
    namespace: "workspaces",
    operation: "CREATE",
    userInfo: user,
    object: {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name, namespace: "workspaces", ...metadata },
      target: { apiVersion: "v1", kind: "Node", name: "node-1" },
    },
    oldObject: null,
    dryRun: false,
    options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
  };
}

/** A deep copy changed by `edit`: attacks are the legitimate object one edit away. */
export function edited<T>(value: T, edit: (copy: T) => void): T {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}
