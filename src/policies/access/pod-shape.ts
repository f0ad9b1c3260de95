// The fields the access checks read, checked for their JSON types before anything reads them. The
// apiserver validates pods before the validating webhook sees them, but forged reviews and direct
// calls (CLI, tests) need not have: a pod of the wrong shape gets a clear 400, never an exception.

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optional(value: unknown, check: (v: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}

function isStringMap(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((v) => typeof v === "string");
}

function isListOf(value: unknown, item: (v: Json) => boolean): boolean {
  return Array.isArray(value) && value.every((v) => isObject(v) && item(v));
}

const named = (v: Json) => typeof v["name"] === "string";

function isContainer(c: Json): boolean {
  const context = c["securityContext"];
  const capabilities = isObject(context) ? context["capabilities"] : undefined;
  const add = isObject(capabilities) ? capabilities["add"] : undefined;
  return (
    named(c) &&
    optional(c["image"], (v) => typeof v === "string") &&
    optional(context, isObject) &&
    optional(capabilities, isObject) &&
    optional(add, (v) => Array.isArray(v) && v.every((s) => typeof s === "string")) &&
    optional(c["env"], (v) => isListOf(v, named)) &&
    optional(c["envFrom"], (v) => isListOf(v, () => true)) &&
    optional(c["volumeMounts"], (v) => isListOf(v, (m) => named(m) && typeof m["mountPath"] === "string")) &&
    optional(c["resources"], isObject)
  );
}

/** Undefined when `value` has the shape of a Pod in every field we read, else what is wrong. */
export function podShapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "is not an object";
  if (value["kind"] !== undefined && value["kind"] !== "Pod")
    return `is a ${String(value["kind"])}, not a Pod`;
  const metadata = value["metadata"];
  if (!optional(metadata, isObject)) return "metadata is not an object";
  if (isObject(metadata)) {
    for (const key of ["labels", "annotations"]) {
      if (!optional(metadata[key], isStringMap)) return `metadata.${key} is not a map of strings`;
    }
  }
  const spec = value["spec"];
  if (!optional(spec, isObject)) return "spec is not an object";
  if (!isObject(spec)) return undefined;
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    if (!optional(spec[list], (v) => isListOf(v, isContainer)))
      return `spec.${list} is not a list of containers`;
  }
  const volume = (v: Json) => named(v) && optional(v["hostPath"], isObject);
  if (!optional(spec["volumes"], (v) => isListOf(v, volume)))
    return "spec.volumes is not a list of named volumes";
  return undefined;
}
