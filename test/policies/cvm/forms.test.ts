// The registry of CVM forms (src/policies/cvm/forms/): the configuration accepts exactly the forms
// it lists, and a form it does not know is an error wherever it turns up, never the envbox default.

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Config, Form } from "../../../src/config/config.js";
import { ConfigError, defaultConfig, loadConfig } from "../../../src/config/load.js";
import { CONFIG_SCHEMA } from "../../../src/config/schema.js";
import { FORMS, formOf } from "../../../src/policies/cvm/forms/index.js";
import { transformPod } from "../../../src/policies/cvm/transform.js";

const pod: V1Pod = {
  metadata: { name: "p", namespace: "default", labels: { "cvm.dev/enabled": "true" } },
  spec: { containers: [{ name: "app", image: "ubuntu:24.04" }] },
};

describe("CVM form registry", () => {
  it("lists exactly the forms the configuration accepts", () => {
    expect(Object.keys(FORMS).sort()).toEqual([...CONFIG_SCHEMA.properties.form.enum].sort());
  });

  it("refuses an unknown form in the configuration, naming the key", () => {
    expect(() => loadConfig({ env: { CVM_ADMISSION_FORM: "kata" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { CVM_ADMISSION_FORM: "kata" } })).toThrow(/form: must be one of/);
  });

  it("throws for an unknown form in a configuration built by hand, instead of falling back to envbox", () => {
    const config: Config = { ...defaultConfig(), form: "kata" as Form };
    expect(() => formOf(config)).toThrow(/unknown CVM form "kata" \(known: envbox, runtimeclass\)/);
    expect(() => transformPod(pod, config)).toThrow(/unknown CVM form/);
  });

  it("gives each form a transform whose output its derive reads back", () => {
    for (const form of Object.keys(FORMS) as Form[]) {
      const config: Config = { ...defaultConfig(), form };
      const result = transformPod(pod, config);
      expect(result.allowed).toBe(true);
      if (!result.allowed) continue;
      const derived = formOf(config).derive(result.pod, config);
      expect(derived.reasons).toEqual([]);
      // The same pod again; warnings may differ (a setting the form turns off, such as service
      // links, is off already in the derived pod and so draws no warning the second time).
      const again = transformPod(derived.pod!, config);
      expect(again.allowed && again.pod).toEqual(result.pod);
    }
  });
});
