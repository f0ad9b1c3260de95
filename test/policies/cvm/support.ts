// Shared helpers for the CVM tests: a real file-backed cluster view (one opted-in namespace, one
// that is not), configs with overrides, and the CVM mutation run as the webhook runs it.

import type { V1Pod } from "@kubernetes/client-node";
import type { AdmissionRequest } from "../../../src/kube/admission-review.js";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import type { Config } from "../../../src/config/config.js";
import { defaultConfig } from "../../../src/config/load.js";
import type { PolicyContext } from "../../../src/policies/context.js";
import { mutateCvmPod } from "../../../src/policies/cvm/mutate.js";
import type { Decision } from "../../../src/policies/decision.js";

export const OPTED_IN = "cvm-workspaces";
export const NOT_OPTED_IN = "plain";

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

function merge(base: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    const target = base[k];
    if (v && typeof v === "object" && !Array.isArray(v) && target && typeof target === "object") {
      merge(target as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      base[k] = v;
    }
  }
}

export function configWith(overrides: DeepPartial<Config> = {}): Config {
  const config = defaultConfig();
  merge(config as unknown as Record<string, unknown>, overrides as Record<string, unknown>);
  return config;
}

export function contextFor(pod: V1Pod, config: Config = defaultConfig()): PolicyContext {
  const namespaces: { kind: string; apiVersion: string; metadata: object }[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: OPTED_IN, labels: { [config.labels.namespaceOptIn]: "true" } },
    },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NOT_OPTED_IN } },
  ];
  const view = new FileClusterView(namespaces, config);
  const request: AdmissionRequest = {
    uid: "00000000-0000-0000-0000-000000000001",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    namespace: pod.metadata?.namespace ?? OPTED_IN,
    operation: "CREATE",
    userInfo: { username: "alice" },
    object: pod,
  };
  return { request, view, config };
}

/** A pod as the CVM test cases feed it: labelled for CVM, in the opted-in namespace unless it says otherwise. */
export function asCvmPod(pod: V1Pod, config: Config = defaultConfig()): V1Pod {
  const copy = structuredClone(pod);
  copy.apiVersion ??= "v1";
  copy.kind ??= "Pod";
  const metadata = (copy.metadata ??= {});
  metadata.namespace ??= OPTED_IN;
  (metadata.labels ??= {})[config.labels.podOptIn] = "true";
  return copy;
}

/** Freezes `value` and everything in it: a write into it then throws (ES modules are strict). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The CVM step as the webhook runs it, on a frozen copy of `pod`: the transform shares unchanged
 * parts of its input with its output, so any write into the input throws here. The result is
 * thawed (a deep copy) for tests that go on to edit it.
 */
export function mutate(pod: V1Pod, config: Config = defaultConfig()): Decision {
  const input = deepFreeze(structuredClone(pod));
  const decision = mutateCvmPod(input, contextFor(input, config));
  return decision.allowed && decision.mutated
    ? { ...decision, mutated: structuredClone(decision.mutated) }
    : decision;
}
