// Every pod of test/fixtures/pods (a Pod, a workload's pod template, or each pod of a list) either
// becomes a schema-valid CVM or is denied with reasons that each name the offending field.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { V1Pod } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { schemaErrors } from "../../support/k8s-schema.js";
import { expectStrictPatchReproduces } from "./patch.js";
import { asCvmPod, mutate } from "./support.js";

const DIR = fileURLToPath(new URL("../../fixtures/pods/", import.meta.url));

interface Obj {
  kind?: string;
  metadata?: V1Pod["metadata"];
  spec?: {
    template?: { metadata?: V1Pod["metadata"]; spec?: V1Pod["spec"] };
    jobTemplate?: { spec?: { template?: Obj } };
  };
  items?: Obj[];
}

function podsOf(obj: Obj | Obj[], where: string): [string, V1Pod][] {
  if (Array.isArray(obj)) return obj.flatMap((o, i) => podsOf(o, `${where}[${i}]`));
  if (obj.items) return podsOf(obj.items, where);
  // The sonobuoy list holds bare pods without a kind.
  if (obj.kind === "Pod" || (obj.kind === undefined && obj.spec && "containers" in obj.spec))
    return [[`${where} ${obj.metadata?.name}`, obj as V1Pod]];
  const template = obj.spec?.template;
  if (template?.spec) {
    const { name: _name, ...metadata } = template.metadata ?? {};
    return [
      [
        `${where} ${obj.kind}/${obj.metadata?.name}`,
        { metadata: { ...metadata, name: obj.metadata?.name }, spec: template.spec },
      ],
    ];
  }
  return [];
}

const pods = readdirSync(DIR)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort()
  .flatMap((file) => {
    const text = readFileSync(DIR + file, "utf8");
    const docs = file.endsWith(".json")
      ? [JSON.parse(text) as Obj]
      : parseAllDocuments(text).map((d) => d.toJS() as Obj);
    return docs.flatMap((doc) => podsOf(doc, file));
  });

describe("every fixture pod becomes a CVM or is denied with field reasons", () => {
  it("reads the fixtures", () => {
    expect(pods.length).toBeGreaterThan(30);
  });

  it.each(pods)("%s", (_, raw) => {
    const pod = asCvmPod(raw);
    delete pod.metadata!.namespace;
    const decision = mutate(asCvmPod(pod));
    if (decision.allowed) {
      const out = decision.mutated!;
      expect(schemaErrors(out as V1Pod & { apiVersion: string; kind: string })).toEqual([]);
      expectStrictPatchReproduces(asCvmPod(pod), out);
      expect(out.spec!.containers.some((c) => c.name === "cvm-supervisor")).toBe(true);
    } else {
      expect(decision.reasons.length).toBeGreaterThan(0);
      for (const reason of decision.reasons) expect(reason).toMatch(/^(spec|metadata)\.[A-Za-z]/);
    }
  });
});
