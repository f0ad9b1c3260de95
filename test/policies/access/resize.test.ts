// In-place resize of a CVM pod (src/policies/access/resize.ts) on pods each form of the registry
// really produces: in the envbox form only the supervisor's requests move; in the runtimeclass form
// the user's own containers are resized freely; Istio's containers never.

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Form } from "../../../src/config/config.js";
import { resizeChanges } from "../../../src/policies/access/resize.js";
import { transformPod } from "../../../src/policies/cvm/transform.js";
import { configWith } from "../cvm/support.js";

const user: V1Pod = {
  metadata: { name: "dev", namespace: "workspaces", labels: { "cvm.dev/enabled": "true" } },
  spec: {
    containers: [
      {
        name: "dev",
        image: "ubuntu:24.04",
        command: ["sleep", "infinity"],
        resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
      },
      {
        name: "istio-proxy",
        image: "docker.io/istio/proxyv2:1.27.0",
        resources: { requests: { cpu: "100m" } },
      },
    ],
  },
};

function cvmPod(form: Form): V1Pod {
  const result = transformPod(user, configWith({ form }));
  if (!result.allowed) throw new Error(`the ${form} form refused the test pod: ${result.reasons.join("; ")}`);
  return result.pod;
}

/** The pod with `container`'s resources replaced. */
function resized(pod: V1Pod, container: string, resources: V1Container["resources"]): V1Pod {
  const copy = structuredClone(pod);
  const target = copy.spec!.containers.find((c) => c.name === container);
  if (!target)
    throw new Error(
      `no container ${container} in ${JSON.stringify(copy.spec!.containers.map((c) => c.name))}`,
    );
  target.resources = resources;
  return copy;
}

const MORE = { requests: { cpu: "1500m", memory: "3Gi" }, limits: { cpu: "2", memory: "4Gi" } };
const HIGHER_LIMITS = { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "8", memory: "32Gi" } };
const PROXY = { requests: { cpu: "4" } };

describe("resizeChanges, envbox form", () => {
  const pod = cvmPod("envbox");

  it("lets the supervisor's requests change", () => {
    expect(resizeChanges(pod, resized(pod, "cvm-supervisor", MORE))).toEqual([]);
  });

  it("keeps the supervisor's limits, saying envbox fixed them", () => {
    expect(resizeChanges(pod, resized(pod, "cvm-supervisor", HIGHER_LIMITS))).toEqual([
      "the limits of cvm-supervisor cannot change in place: envbox fixed the inner container's CPU and memory " +
        "(CODER_CPUS, CODER_MEMORY) when it started; requests may be resized, new limits need a new pod",
    ]);
  });

  it("keeps the resources of the user's other containers", () => {
    const withHelper = structuredClone(pod);
    withHelper.spec!.containers.push({
      name: "helper",
      image: "busybox",
      resources: { requests: { cpu: "1" } },
    });
    expect(resizeChanges(withHelper, resized(withHelper, "helper", MORE))).toEqual([
      "container helper cannot be resized: only cvm-supervisor, which carries your container's resources, may be resized",
    ]);
  });
});

describe("resizeChanges, runtimeclass form", () => {
  const pod = cvmPod("runtimeclass");

  it("lets the user's container change requests and limits", () => {
    expect(resizeChanges(pod, resized(pod, "dev", HIGHER_LIMITS))).toEqual([]);
  });
});

it.each(["envbox", "runtimeclass"] as const)("resizeChanges keeps Istio's containers (%s form)", (form) => {
  const pod = cvmPod(form);
  expect(resizeChanges(pod, resized(pod, "istio-proxy", PROXY))).toEqual([
    "container istio-proxy cannot be resized: it belongs to the Istio mesh",
  ]);
});
