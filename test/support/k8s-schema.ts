// Strict Kubernetes 1.35 JSON schemas (unknown fields rejected), in test/fixtures/k8s-schemas
// (provenance in test/fixtures/SOURCES.md).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const SCHEMA_DIR = fileURLToPath(new URL("../fixtures/k8s-schemas/", import.meta.url));

interface IndexEntry {
  apiVersion: string;
  kind: string;
  file: string;
}

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const index = JSON.parse(readFileSync(SCHEMA_DIR + "index.json", "utf8")) as { schemas: IndexEntry[] };
const files = new Map(index.schemas.map((s) => [`${s.apiVersion}/${s.kind}`, s.file]));
const compiled = new Map<string, ValidateFunction>();

/** True when a strict schema exists for this apiVersion/kind (CRDs have none). */
export function hasSchema(apiVersion: string, kind: string): boolean {
  return files.has(`${apiVersion}/${kind}`);
}

/** Validates one object; returns the errors (empty when valid). Throws for kinds without a schema. */
export function schemaErrors(obj: { apiVersion?: string; kind?: string }): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const file = files.get(key);
  if (file === undefined) throw new Error(`no strict schema for ${key}`);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_DIR + file, "utf8")));
    compiled.set(key, validate);
  }
  if (validate(obj)) return [];
  // Optional fields are anyOf [schema, null]: the additionalProperties error is the telling one.
  const errors = validate.errors ?? [];
  const telling = errors.filter((e) => e.keyword !== "anyOf" && e.keyword !== "type");
  return (telling.length > 0 ? telling : errors).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
  );
}
