// A pods/binding AdmissionRequest as the scheduler's Binding produces it (namespace "work").

import type { AdmissionRequest } from "../../../src/kube/admission-review.js";

export function bindingRequest(podName: string, nodeName: string | undefined): AdmissionRequest {
  return {
    uid: "u1",
    kind: { group: "", version: "v1", kind: "Binding" },
    resource: { group: "", version: "v1", resource: "pods" },
    subResource: "binding",
    namespace: "work",
    name: podName,
    operation: "CREATE",
    userInfo: { username: "system:kube-scheduler" },
    object: {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name: podName, namespace: "work" },
      target: nodeName === undefined ? {} : { apiVersion: "v1", kind: "Node", name: nodeName },
    },
  };
}
