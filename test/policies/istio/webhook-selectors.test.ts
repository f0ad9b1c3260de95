// Detection's "will be injected" checked against Istio's own MutatingWebhookConfigurations (copied
// fixtures): for every combination of namespace and pod labels, the pod is injected exactly when
// one of Istio's webhooks selects it and the injector's label check (inject.go injectRequired)
// accepts it, and by that webhook's revision. The selector evaluation below is the Kubernetes
// LabelSelector semantics; it is the oracle, the webhook files are the data.

import type { V1LabelSelector, V1MutatingWebhookConfiguration } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { detectIstio } from "../../../src/policies/istio/detect.js";
import { fixtureObjects } from "./support.js";

type Labels = Record<string, string>;

function matches(selector: V1LabelSelector | undefined, labels: Labels): boolean {
  const { matchLabels = {}, matchExpressions = [] } = selector ?? {};
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return false;
  return matchExpressions.every(({ key, operator, values = [] }) => {
    const value = labels[key];
    switch (operator) {
      case "In":
        return value !== undefined && values.includes(value);
      case "NotIn":
        return value === undefined || !values.includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
}

function istioRevisionThatInjects(mwcs: V1MutatingWebhookConfiguration[], ns: Labels, pod: Labels) {
  for (const mwc of mwcs) {
    for (const hook of mwc.webhooks ?? []) {
      if (matches(hook.namespaceSelector, ns) && matches(hook.objectSelector, pod)) {
        // injectRequired: an explicit value other than y/yes/true/on refuses.
        const choice = pod["sidecar.istio.io/inject"];
        if (choice && !["y", "yes", "true", "on"].includes(choice.toLowerCase())) return undefined;
        return mwc.metadata?.labels?.["istio.io/rev"] ?? "default";
      }
    }
  }
  return undefined;
}

function* labelCombinations(keys: Record<string, (string | undefined)[]>): Generator<Labels> {
  const entries = Object.entries(keys);
  const walk = function* (i: number, acc: Labels): Generator<Labels> {
    if (i === entries.length) return yield { ...acc };
    const [key, values] = entries[i]!;
    for (const value of values) {
      const next = { ...acc };
      if (value !== undefined) next[key] = value;
      yield* walk(i + 1, next);
    }
  };
  yield* walk(0, {});
}

const load = (file: string) => fixtureObjects(`webhook-config/${file}`) as V1MutatingWebhookConfiguration[];

describe.each([
  ["current default render + revision 1-16", ["mwc-istio-sidecar-injector-default-render.yaml"]],
  ["Istio 1.14 default + revision 1-16", ["mwc-istio-sidecar-injector-1.14.yaml"]],
])("%s", (_name, defaults) => {
  const mwcs = [...defaults, "mwc-istio-sidecar-injector-rev-1-16.yaml"].flatMap(load);
  const revisions = [undefined, "default", "1-16"]; // only installed revisions: detection cannot know the others

  const cases = [
    ...labelCombinations({
      "istio-injection": [undefined, "enabled", "disabled"],
      "istio.io/rev": revisions,
    }),
  ].flatMap((ns) =>
    [
      ...labelCombinations({
        "sidecar.istio.io/inject": [undefined, "true", "false", "no"],
        "istio.io/rev": revisions,
      }),
    ].map((pod) => ({ ns, pod })),
  );

  it(`agrees with the webhook selectors on all ${cases.length} label combinations`, () => {
    expect(cases.length).toBe(108);
    for (const { ns, pod } of cases) {
      const finding = detectIstio({ metadata: { labels: pod } }, ns);
      const revision = istioRevisionThatInjects(mwcs, ns, pod);
      const context = JSON.stringify({ ns, pod, finding });
      expect(finding.state, context).toBe(revision === undefined ? "not-injected" : "will-be-injected");
      expect(finding.revision, context).toBe(revision);
    }
  });
});
