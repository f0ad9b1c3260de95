// What counts as a container in the shape Istio's injector produces (src/policies/access/injected-shape.ts).

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../../src/config/load.js";
import { imageHub, meshShape } from "../../../src/policies/access/injected-shape.js";

const config = defaultConfig();

function podWith(container: V1Container, supervisorMounts: string[] = []): V1Pod {
  return {
    spec: {
      containers: [{ name: "cvm-supervisor", image: "envbox", volumeMounts: supervisorMounts.map((name) => ({ name, mountPath: `/${name}` })) }, container],
      volumes: [{ name: "home", persistentVolumeClaim: { claimName: "home" } }, { name: "kube-api-access-x", projected: { sources: [] } }],
    },
  }; // prettier-ignore
}

const init = (image: string, add = ["NET_ADMIN", "NET_RAW"]): V1Container => ({
  name: "istio-init",
  image,
  securityContext: { capabilities: { add, drop: ["ALL"] } },
});

describe("Istio's injected shape", () => {
  it.each([
    ["docker.io/istio/proxyv2:1.27.0", "docker.io/istio"],
    ["istio/proxyv2:1.27.0", "docker.io/istio"],
    ["index.docker.io/istio/proxyv2@sha256:" + "a".repeat(64), "docker.io/istio"],
    ["gcr.io/istio-release/proxyv2:1.20.3-distroless", "gcr.io/istio-release"],
    ["registry.example.com:5000/mirror/istio/proxyv2:1.27", "registry.example.com:5000/mirror/istio"],
    ["busybox", "docker.io/library"],
  ])("reads the hub of %s as %s", (image, hub) => {
    expect(imageHub(image)).toBe(hub);
  });

  it("tolerates Istio's own init container with Istio's capabilities", () => {
    const shape = meshShape(init("docker.io/istio/proxyv2:1.27.0"), podWith(init("")), config);
    expect(shape).toEqual({ tolerated: true, capabilities: new Set(["NET_ADMIN", "NET_RAW"]) });
  });

  it.each([
    ["another image", init("docker.io/istio-fork/proxyv2:1.27.0"), /not from istio\.proxyImageRepositories/],
    ["a look-alike registry", init("docker.io.evil.example.com/istio/proxyv2:1.27.0"), /not from istio\.proxyImageRepositories/],
    ["a capability Istio never adds to it", init("docker.io/istio/proxyv2:1.27.0", ["NET_ADMIN", "SYS_ADMIN"]), /adds SYS_ADMIN/],
    ["NET_RAW on istio-proxy", { ...init("docker.io/istio/proxyv2:1.27.0", ["NET_RAW"]), name: "istio-proxy" }, /adds NET_RAW/],
    ["a host port", { ...init("docker.io/istio/proxyv2:1.27.0"), ports: [{ containerPort: 15001, hostPort: 15001 }] }, /host port/],
    ["unconfined seccomp", { ...init("docker.io/istio/proxyv2:1.27.0"), securityContext: { seccompProfile: { type: "Unconfined" } } }, /unconfined seccomp/],
  ])("does not tolerate %s", (_what, container, why) => {
    const shape = meshShape(container, podWith(container), config);
    expect(shape?.tolerated).toBe(false);
    expect(shape?.tolerated === false && shape.why).toMatch(why);
  }); // prettier-ignore

  it("refuses a writable volume shared with the supervisor, not a read-only projected one", () => {
    const sharing = (name: string) => ({
      ...init("docker.io/istio/proxyv2:1.27.0"),
      volumeMounts: [{ name, mountPath: "/x" }],
    });
    const shared = meshShape(sharing("home"), podWith(sharing("home"), ["home"]), config);
    expect(shared?.tolerated === false && shared.why).toMatch(/shares volume home with cvm-supervisor/);
    const token = meshShape(sharing("kube-api-access-x"), podWith(sharing("kube-api-access-x"), ["kube-api-access-x"]), config); // prettier-ignore
    expect(token?.tolerated).toBe(true);
  });

  it("says nothing about containers without a mesh name", () => {
    const other = { ...init("docker.io/istio/proxyv2:1.27.0"), name: "proxy" };
    expect(meshShape(other, podWith(other), config)).toBeUndefined();
  });
});
