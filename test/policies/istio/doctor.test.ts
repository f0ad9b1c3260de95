import { describe, expect, it } from "vitest";
import type { NamespaceFacts } from "../../../src/cluster/view.js";
import { namespacesCapturingCvmPods } from "../../../src/policies/istio/doctor.js";
import { fixtureObjects } from "./support.js";

describe("namespacesCapturingCvmPods (doctor)", () => {
  it("lists, sorted, the namespaces of Istio's analyzer fixture where a CVM pod would meet Istio", () => {
    const namespaces: NamespaceFacts[] = fixtureObjects("detection/namespaces-and-pods-injection.yaml")
      .filter((o) => o.kind === "Namespace")
      .map((o) => ({
        name: o.metadata!.name!,
        labels: (o.metadata as { labels?: Record<string, string> }).labels ?? {},
      }));
    const listed = namespacesCapturingCvmPods(namespaces).map(({ namespace, finding }) => [
      namespace,
      finding.state,
      finding.signal,
      finding.revision,
    ]);
    expect(listed).toEqual([
      ["ambient", "ambient", "namespace label istio.io/dataplane-mode=ambient", undefined],
      ["busted", "will-be-injected", "namespace label istio-injection=enabled", "default"],
      ["canary-test", "will-be-injected", "namespace label istio.io/rev=canary", "canary"],
      ["default", "will-be-injected", "namespace label istio-injection=enabled", "default"],
      ["multi-ns-1", "will-be-injected", "namespace label istio-injection=enabled", "default"],
      ["multi-ns-2", "will-be-injected", "namespace label istio-injection=enabled", "default"],
      ["multi-ns-3", "will-be-injected", "namespace label istio.io/rev=test", "test"],
      ["not-conflict-ns-1", "ambient", "namespace label istio.io/dataplane-mode=ambient", undefined],
      ["pidgeon-test", "will-be-injected", "namespace label istio.io/rev=pidgeon", "pidgeon"],
    ]);
  });

  it("lists nothing for namespaces without Istio labels", () => {
    expect(
      namespacesCapturingCvmPods([
        { name: "a", labels: {} },
        { name: "b", labels: { "istio-injection": "disabled" } },
      ]),
    ).toEqual([]);
  });
});
