// The request bodies and what cvm-admission must answer to each under the embedded cluster view
// (examples/cluster-view.yaml), so a number is never taken from the wrong code path (a denial
// instead of a mutation, say).
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import fastJsonPatch from "fast-json-patch";

export const BODIES = [
  // ~4.6 KB Coder workspace pod opted in to CVM in the opted-in namespace coder-workspaces.
  { name: "cvm-pod", path: "/mutate", expect: { allowed: true, patched: true, cvm: true } },
  // The same pod without the opt-in label: passes unchanged.
  { name: "plain-pod", path: "/mutate", expect: { allowed: true, patched: false } },
  // ~100 KB: the CVM pod with 1,700 more env vars.
  { name: "big-pod", path: "/mutate", expect: { allowed: true, patched: true, cvm: true } },
  // The scheduler binding the CVM pod default/workspace-alice to the eligible node-ubuntu-6-8.
  { name: "binding-review", path: "/validate", expect: { allowed: true, patched: false } },
  // kubectl exec into that CVM pod's supervisor: users are kept out (docs/access.md).
  { name: "exec-review", path: "/validate", expect: { allowed: false, patched: false } },
];

/** "ok: ..." when the answer is the decided one we expect, otherwise "UNEXPECTED: ...". */
export function checkAnswer(body, file, answer) {
  if (answer.status !== 200) return `UNEXPECTED: HTTP ${answer.status} ${answer.text.slice(0, 200)}`;
  const { request } = JSON.parse(readFileSync(file, "utf8"));
  const uid = request.uid;
  let response;
  try {
    response = JSON.parse(answer.text).response;
  } catch {
    return `UNEXPECTED: answer is not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (response?.uid !== uid) return `UNEXPECTED: uid ${response?.uid} is not the request's ${uid}`;
  const patch = response.patch ? JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) : [];
  const ops = patch.length;
  const got = response.allowed
    ? ops
      ? `patched (${ops} ops)`
      : "allowed unchanged"
    : `denied ${response.status?.code}`;
  const { allowed, patched } = body.expect;
  if (response.allowed !== allowed || ops > 0 !== patched) {
    const want = allowed ? (patched ? "patched" : "allowed unchanged") : "denied";
    const why = response.status?.message ? `: ${response.status.message.slice(0, 300)}` : "";
    return `UNEXPECTED: ${got}, want ${want}${why}`;
  }
  if (body.expect.cvm) {
    const pod = fastJsonPatch.applyPatch(request.object, patch, true, false).newDocument;
    if (pod.metadata?.annotations?.["cvm.dev/mutated"] === undefined) {
      return `UNEXPECTED: ${got}, but the patched pod is not a CVM (no cvm.dev/mutated annotation)`;
    }
  }
  return `ok: ${got}`;
}
