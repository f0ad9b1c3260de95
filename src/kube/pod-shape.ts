// Pods are checked against the Kubernetes 1.35 Pod schema before any policy reads them. The
// apiserver validates pods before admission, but forged reviews and direct calls (the CLI) need
// not have been: a wrong type anywhere gets an answer naming the field, never an exception deep in
// a policy. Unknown fields pass (a newer apiserver may send fields this schema does not know).
// pod-v1.schema.json is the strict schema the tests use (test/fixtures/k8s-schemas/pod-v1.json,
// provenance in test/fixtures/SOURCES.md); the strictness is dropped here.

import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { isObject } from "./object.js";
import podSchema from "./pod-v1.schema.json" with { type: "json" };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function withoutUnknownFieldRejection(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutUnknownFieldRejection);
  if (typeof node !== "object" || node === null) return node;
  const entries = Object.entries(node).filter(
    ([key, value]) => !(key === "additionalProperties" && value === false),
  );
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutUnknownFieldRejection(value)]));
}

const ajv = new Ajv({ allErrors: false, strict: false });
addFormats(ajv);
const validatePod = ajv.compile(withoutUnknownFieldRejection(podSchema) as object);

/** The fields of a container in the Kubernetes version of the schema (1.35). */
export const CONTAINER_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(podSchema.definitions["io.k8s.api.core.v1.Container"].properties),
);

// Policies ask about the same object several times per request (each validator reads it).
const checked = new WeakMap<object, string | undefined>();

/** "/spec/containers/0/env" -> "spec.containers[0].env" */
function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

/** Undefined when `value` is a well-formed Pod (its kind, when set, is Pod), else what is wrong. */
export function podShapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "is not an object";
  if (checked.has(value)) return checked.get(value);
  let problem: string | undefined;
  if (value["kind"] !== undefined && value["kind"] !== "Pod") {
    problem =
      typeof value["kind"] === "string"
        ? `is a ${value["kind"].slice(0, 64)}, not a Pod`
        : "kind is not a string";
  } else if (!validatePod(value)) {
    const error = validatePod.errors?.[0];
    problem = error
      ? `${fieldPath(error.instancePath) || "the pod"} ${error.message ?? "is invalid"}`
      : "is invalid";
  }
  checked.set(value, problem);
  return problem;
}

let validateAll: ReturnType<typeof ajv.compile> | undefined;

/**
 * Every field of a pod with the wrong type, for the CLI (the webhook answers with the first one).
 * ajv reports a nullable field once per branch ("must be object", "must be null", "must match a
 * schema in anyOf"): per field, the types it may have are merged into one message, and a field
 * whose only fault is deeper inside is left to the deeper message.
 */
export function podShapeProblems(value: unknown): string[] {
  const single = podShapeProblem(value);
  if (single === undefined) return [];
  if (!isObject(value) || (value["kind"] !== undefined && value["kind"] !== "Pod")) return [single];
  validateAll ??= addFormats(new Ajv({ allErrors: true, strict: false })).compile(
    withoutUnknownFieldRejection(podSchema) as object,
  );
  validateAll(value);
  const byField = new Map<string, { types: Set<string>; other: string[] }>();
  for (const error of validateAll.errors ?? []) {
    const field = byField.get(error.instancePath) ?? { types: new Set(), other: [] };
    byField.set(error.instancePath, field);
    if (error.keyword === "type")
      [error.params["type"]].flat().forEach((type) => type !== "null" && field.types.add(String(type)));
    else if (error.keyword !== "anyOf" && error.keyword !== "oneOf")
      field.other.push(error.message ?? "is invalid");
  }
  return [...byField].flatMap(([pointer, { types, other }]) => {
    const name = fieldPath(pointer) || "the pod";
    return [...(types.size > 0 ? [`must be ${[...types].join(" or ")}`] : []), ...other].map(
      (m) => `${name} ${m}`,
    );
  });
}
