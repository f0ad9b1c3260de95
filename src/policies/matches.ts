// What a policy declares it judges: operations on resources, written as the chart's webhook rules
// write them ("pods", "pods/binding"). Dispatch runs a policy only on the requests it matches, and
// test/chart/webhook-rules.test.ts holds the union of the declarations against the rules the chart
// renders, so a policy the apiserver never calls, or a rule no policy needs, fails the build.

import type { AdmissionRequest, Operation } from "../kube/admission-review.js";

export interface RequestMatch {
  readonly operations: readonly Operation[];
  /** "pods" for the pod itself, "pods/<subresource>" for a subresource. */
  readonly resources: readonly string[];
}

/** A pod being created (no subresource): most checks judge only this. */
export const POD_CREATE: readonly RequestMatch[] = [{ operations: ["CREATE"], resources: ["pods"] }];

/**
 * A Binding created: pods/binding, or the legacy POST /namespaces/NS/bindings (deprecated, still
 * served), which kube-apiserver's admission sees as resource "bindings" without a subresource.
 */
export const BINDING_CREATE: readonly RequestMatch[] = [
  { operations: ["CREATE"], resources: ["pods/binding", "bindings"] },
];

/** "pods", or "pods/exec" for a subresource request. */
export function requestResource(request: AdmissionRequest): string {
  return request.subResource
    ? `${request.resource.resource}/${request.subResource}`
    : request.resource.resource;
}

export function matchesRequest(matches: readonly RequestMatch[], request: AdmissionRequest): boolean {
  const resource = requestResource(request);
  return matches.some((m) => m.operations.includes(request.operation) && m.resources.includes(resource));
}
