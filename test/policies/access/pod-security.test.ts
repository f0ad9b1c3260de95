// Pod Security labels read the way Pod Security reads them: an invalid enforce level is enforced as
// restricted (attack table), invalid warn/audit levels fail open, a missing label decides nothing.

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FileClusterView } from "../../../src/cluster/file-view.js";
import { podSecurityPrecheck } from "../../../src/policies/access/index.js";
import { createPod, edited, testConfig, userPod } from "./support.js";

function precheck(labels: Record<string, string>, form: "envbox" | "runtimeclass" = "envbox") {
  const config = testConfig();
  config.form = form;
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "ns", labels: { "cvm.dev/enabled": "true", ...labels } },
  };
  const pod = edited(userPod(), (p: V1Pod) => {
    p.metadata!.namespace = "ns";
  });
  const request = createPod(pod);
  return podSecurityPrecheck(pod, { request, view: new FileClusterView([namespace], config), config });
}

describe("Pod Security pre-check, label reading", () => {
  it("stays quiet without Pod Security labels and with privileged everywhere", () => {
    expect(precheck({})).toEqual({ allowed: true, warnings: [] });
    const privileged = ["enforce", "warn", "audit"].map((m) => [
      `pod-security.kubernetes.io/${m}`,
      "privileged",
    ]);
    expect(precheck(Object.fromEntries(privileged))).toEqual({ allowed: true, warnings: [] });
  });

  it("fails open on invalid warn and audit levels, as Pod Security does", () => {
    expect(
      precheck({ "pod-security.kubernetes.io/warn": "strict", "pod-security.kubernetes.io/audit": "" }),
    ).toEqual({
      allowed: true,
      warnings: [],
    });
  });

  it("warns about baseline only for the envbox form", () => {
    const labels = { "pod-security.kubernetes.io/warn": "baseline" };
    expect(precheck(labels).warnings).toHaveLength(1);
    expect(precheck(labels, "runtimeclass").warnings).toHaveLength(0);
    expect(precheck({ "pod-security.kubernetes.io/warn": "restricted" }, "runtimeclass").warnings[0]).toMatch(
      /warn=restricted.*set warn=baseline/,
    );
  });

  it("leaves pods that are not CVM pods alone", () => {
    const config = testConfig();
    const pod = edited(userPod(), (p: V1Pod) => {
      delete p.metadata!.labels!["cvm.dev/enabled"];
    });
    const restricted = {
      kind: "Namespace",
      metadata: { name: "workspaces", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    };
    const view = new FileClusterView([restricted], config);
    expect(podSecurityPrecheck(pod, { request: createPod(pod), view, config })).toEqual({
      allowed: true,
      warnings: [],
    });
  });
});
