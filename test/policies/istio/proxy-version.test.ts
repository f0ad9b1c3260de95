import { describe, expect, it } from "vitest";
import { proxyVersionFromImage, UNKNOWN_VERSION } from "../../../src/policies/istio/proxy-version.js";

describe("proxyVersionFromImage", () => {
  it.each([
    ["docker.io/istio/proxyv2:1.20.3-distroless", "1.20.3"],
    ["registry.istio.io/release/proxyv2:1.12-distroless", "1.12"],
    ["gcr.io/gke-release/asm/proxyv2:1.11.2-asm.17-distroless", "1.11.2"],
    ["registry.istio.io/release/proxyv2:1.3.0-rc.2", "1.3.0"],
    ["proxyv2:1.24.0", "1.24.0"],
    ["localhost:5000/istio/proxyv2:1.22.1-debug", "1.22.1"],
  ])("%s -> %s", (image, version) => {
    expect(proxyVersionFromImage(image)).toBe(version);
  });

  it.each<[string | undefined, string]>([
    ["registry.istio.io/testing/proxyv2:latest", "tag latest"],
    ["registry.istio.io/release/proxy2_debug:unittest", "tag without a release"],
    ["docker.io/istio/proxyv2", "no tag"],
    ["localhost:5000/istio/proxyv2", "registry port, no tag"],
    ["docker.io/istio/proxyv2@sha256:" + "a".repeat(64), "digest"],
    ["docker.io/istio/proxyv2:1.20.3@sha256:" + "b".repeat(64), "tag pinned by digest"],
    ["docker.io/istio/proxyv2:1.20.3.4", "four-part tag"],
    ["", "empty"],
    [undefined, "absent"],
  ])("%s is unknown (%s)", (image) => {
    expect(proxyVersionFromImage(image)).toBe(UNKNOWN_VERSION);
  });
});
