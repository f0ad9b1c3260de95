// The configuration's type is derived from CONFIG_SCHEMA (src/config/from-schema.ts): checked here
// at compile time (npm run typecheck fails if a key degrades to never or to a loose type), and at
// run time against what loading produces.

import { describe, expect, expectTypeOf, it } from "vitest";
import type { Config, Form, IstioPolicy } from "../../src/config/config.js";
import { defaultConfig } from "../../src/config/load.js";
import { CONFIG_SCHEMA } from "../../src/config/schema.js";

describe("Config derived from the schema", () => {
  it("types every key as the schema describes it", () => {
    expectTypeOf<Form>().toEqualTypeOf<"envbox" | "runtimeclass">();
    expectTypeOf<IstioPolicy>().toEqualTypeOf<"optOut" | "reroute" | "warn" | "deny">();
    expectTypeOf<Config["server"]["port"]>().toEqualTypeOf<number>();
    expectTypeOf<Config["nodes"]["labels"]>().toEqualTypeOf<boolean>();
    expectTypeOf<Config["access"]["breakGlassGroups"]>().toEqualTypeOf<string[]>();
    expectTypeOf<Config["certificates"]["mode"]>().toEqualTypeOf<"selfManaged" | "certManager" | "files">();
    expectTypeOf<keyof Config>().toEqualTypeOf<keyof typeof CONFIG_SCHEMA.properties>();
  });

  it("loads every section the schema lists, with every key", () => {
    const config = defaultConfig();
    for (const [section, node] of Object.entries(CONFIG_SCHEMA.properties)) {
      const value = (config as Record<string, unknown>)[section];
      if ("properties" in node)
        expect(Object.keys(value as object).sort()).toEqual(Object.keys(node.properties).sort());
      else expect(value).toBeDefined();
    }
  });
});
