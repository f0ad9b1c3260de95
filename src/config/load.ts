// Loads the configuration: schema defaults, then the YAML file, then CVM_ADMISSION_* env overrides.
// Every error names the offending key, so an operator can fix it without reading code.

import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject } from "ajv";
import { parse as parseYaml } from "yaml";
import type { Config } from "./config.js";
import { CONFIG_SCHEMA } from "./schema.js";
import { isServiceLinkVariable } from "./service-links.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

const ENV_PREFIX = "CVM_ADMISSION_";

const validate = new Ajv({ useDefaults: true, allErrors: true, strict: true }).compile<Config>(CONFIG_SCHEMA);

interface SchemaNode {
  type?: string;
  enum?: readonly unknown[];
  properties?: Record<string, SchemaNode>;
}

/** Every leaf of the schema, keyed by its env variable name: istio.policy -> CVM_ADMISSION_ISTIO_POLICY. */
function leafPaths(node: SchemaNode, path: string[] = []): Map<string, { path: string[]; node: SchemaNode }> {
  const leaves = new Map<string, { path: string[]; node: SchemaNode }>();
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = [...path, key];
    if (child.properties) {
      for (const [env, leaf] of leafPaths(child, childPath)) leaves.set(env, leaf);
    } else {
      const envName = ENV_PREFIX + childPath.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2")).join("_");
      leaves.set(envName.toUpperCase(), { path: childPath, node: child });
    }
  }
  return leaves;
}

const ENV_LEAVES = leafPaths(CONFIG_SCHEMA);

function envValue(raw: string, node: SchemaNode, envName: string): unknown {
  switch (node.type) {
    case "boolean":
      if (raw === "true" || raw === "false") return raw === "true";
      throw new ConfigError(`${envName}: must be true or false (got ${JSON.stringify(raw)})`);
    case "integer":
      if (/^-?\d+$/.test(raw)) return Number(raw);
      throw new ConfigError(`${envName}: must be an integer (got ${JSON.stringify(raw)})`);
    case "array":
      return raw.trim() === "" ? [] : raw.split(",").map((item) => item.trim());
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function describe(error: ErrorObject): string {
  const key = error.instancePath.slice(1).replaceAll("/", ".");
  if (error.keyword === "additionalProperties") {
    const extra = String(error.params["additionalProperty"]);
    return `${key ? key + "." : ""}${extra}: unknown key`;
  }
  if (error.keyword === "enum") {
    const allowed = (error.params["allowedValues"] as unknown[]).join(", ");
    return `${key}: must be one of ${allowed}`;
  }
  return `${key || "(root)"}: ${error.message ?? "invalid"}`;
}

export interface LoadOptions {
  /** Path of a YAML or JSON config file (`--config`); undefined = defaults only. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Told each CVM_ADMISSION_* variable skipped as a kubelet service link (serve logs them at debug). */
  onServiceLink?: (name: string) => void;
}

export function loadConfig({ file, env = process.env, onServiceLink }: LoadOptions = {}): Config {
  let fromFile: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      fromFile = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (typeof fromFile !== "object" || Array.isArray(fromFile)) {
      throw new ConfigError(`config file ${file} must hold a mapping at the top level`);
    }
  }
  const config = structuredClone(fromFile) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    if (isServiceLinkVariable(name, raw)) {
      onServiceLink?.(name);
      continue;
    }
    const leaf = ENV_LEAVES.get(name);
    if (!leaf)
      throw new ConfigError(`${name}: unknown setting (known: ${[...ENV_LEAVES.keys()].join(", ")})`);
    setPath(config, leaf.path, envValue(raw, leaf.node, name));
  }
  if (!validate(config)) {
    const problems = (validate.errors ?? []).map(describe);
    throw new ConfigError(`invalid configuration${file ? ` in ${file}` : ""}: ${problems.join("; ")}`);
  }
  return config;
}

/** The defaults alone (what an empty file gives). */
export function defaultConfig(): Config {
  return loadConfig({ env: {} });
}
