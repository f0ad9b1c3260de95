// Checks that a parsed body is an AdmissionReview we can answer. Anything that fails here gets
// HTTP 400 with a JSON error; anything that passes gets a decided AdmissionReview (README.md, "The HTTP interface").

import { isObject } from "../kube/object.js";
import {
  ADMISSION_V1,
  ADMISSION_V1BETA1,
  type AdmissionApiVersion,
  type AdmissionRequest,
} from "../kube/admission-review.js";

export interface ReviewProblem {
  ok: false;
  error: string;
}

export interface CheckedReview {
  ok: true;
  apiVersion: AdmissionApiVersion;
  request: AdmissionRequest;
}

const OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

function problem(error: string): ReviewProblem {
  return { ok: false, error };
}

/** An unexpected value, shown briefly: echoing a huge or deeply nested value back would cost
 * memory, and JSON.stringify throws on nesting deeper than the stack (found by test/fuzz). */
function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 64 ? value.slice(0, 64) + "…" : value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" && value !== null ? "an object" : String(value ?? null);
}

/** v1beta1 has the same request/response shape; we answer it in v1beta1 (documented in README). */
export function checkReview(body: unknown): CheckedReview | ReviewProblem {
  if (!isObject(body)) return problem("body must be a JSON object (an AdmissionReview)");
  if (body["kind"] !== "AdmissionReview") {
    return problem(`kind must be AdmissionReview, got ${shown(body["kind"])}`);
  }
  const apiVersion = body["apiVersion"];
  if (apiVersion !== ADMISSION_V1 && apiVersion !== ADMISSION_V1BETA1) {
    return problem(`apiVersion must be ${ADMISSION_V1} or ${ADMISSION_V1BETA1}, got ${shown(apiVersion)}`);
  }
  const request = body["request"];
  if (!isObject(request)) return problem("request is missing");
  if (typeof request["uid"] !== "string" || request["uid"] === "") return problem("request.uid is missing");
  if (!isObject(request["kind"]) || typeof request["kind"]["kind"] !== "string") {
    return problem("request.kind is missing");
  }
  if (!isObject(request["resource"]) || typeof request["resource"]["resource"] !== "string") {
    return problem("request.resource is missing");
  }
  if (typeof request["operation"] !== "string" || !OPERATIONS.has(request["operation"])) {
    return problem(`request.operation must be one of ${[...OPERATIONS].join(", ")}`);
  }
  if (request["userInfo"] !== undefined && !isObject(request["userInfo"])) {
    return problem("request.userInfo must be an object");
  }
  // Fields the server logs and routes on: the apiserver always sends them with these types.
  for (const field of ["subResource", "name", "namespace"]) {
    if (request[field] !== undefined && typeof request[field] !== "string") {
      return problem(`request.${field} must be a string`);
    }
  }
  if (request["dryRun"] !== undefined && typeof request["dryRun"] !== "boolean") {
    return problem("request.dryRun must be true or false");
  }
  const username = isObject(request["userInfo"]) ? request["userInfo"]["username"] : undefined;
  if (username !== undefined && typeof username !== "string")
    return problem("request.userInfo.username must be a string");
  const checked = request as unknown as AdmissionRequest;
  if (checked.userInfo === undefined) checked.userInfo = {};
  return { ok: true, apiVersion, request: checked };
}
