// The fields of a review that policies read besides the Pod (pod-shape.ts checks that), checked
// before any policy runs: a wrong type gets a decided 400 naming the field, never an exception or
// a silent misreading inside a policy. The apiserver always sends these types; forged or
// hand-made reviews need not.

import { isObject } from "./object.js";
import type { AdmissionRequest } from "./admission-review.js";

function stringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function stringMap(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((item) => typeof item === "string");
}

/** Object metadata as the policies read it (name, namespace, labels, annotations). */
function metadataProblem(metadata: unknown, where: string): string | undefined {
  if (metadata === undefined) return undefined;
  if (!isObject(metadata)) return `${where}.metadata must be an object`;
  for (const field of ["name", "namespace"])
    if (metadata[field] !== undefined && typeof metadata[field] !== "string")
      return `${where}.metadata.${field} must be a string`;
  for (const field of ["labels", "annotations"])
    if (metadata[field] !== undefined && !stringMap(metadata[field]))
      return `${where}.metadata.${field} must map strings to strings`;
  return undefined;
}

/** The Binding of pods/binding: its metadata lands on the pod, its target names the node. */
function bindingProblem(object: unknown): string | undefined {
  if (!isObject(object)) return "request.object must be a Binding object";
  const target = object["target"];
  if (target !== undefined && !(isObject(target) && (target["name"] === undefined || typeof target["name"] === "string")))
    return "request.object.target.name must be a string"; // prettier-ignore
  return metadataProblem(object["metadata"], "request.object");
}

/** The pre-1.22 EphemeralContainers body of pods/ephemeralcontainers. */
function ephemeralContainersProblem(object: unknown, where: string): string | undefined {
  if (object === undefined || object === null) return undefined;
  if (!isObject(object)) return `${where} must be an EphemeralContainers object`;
  const list = object["ephemeralContainers"];
  if (list !== undefined && !(Array.isArray(list) && list.every((c) => isObject(c) && typeof c["name"] === "string")))
    return `${where}.ephemeralContainers must be a list of containers with names`; // prettier-ignore
  return metadataProblem(object["metadata"], where);
}

/** What is wrong with the fields policies read outside the Pod, or undefined. */
export function requestFieldProblem(request: AdmissionRequest): string | undefined {
  const groups = request.userInfo.groups as unknown;
  if (groups !== undefined && groups !== null && !stringList(groups))
    return "request.userInfo.groups must be a list of strings";
  if (request.resource.resource !== "pods") return undefined;
  if (request.subResource === "binding") return bindingProblem(request.object);
  if (request.kind.kind === "EphemeralContainers")
    return (
      ephemeralContainersProblem(request.object, "request.object") ??
      ephemeralContainersProblem(request.oldObject, "request.oldObject")
    );
  return undefined;
}
