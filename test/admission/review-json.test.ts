// reviewJson splices the base64 patch into the answer's JSON instead of serialising it again; the
// text must still parse to exactly the review, whatever else the answer carries.

import { describe, expect, it } from "vitest";
import { reviewJson, toReview } from "../../src/admission/response.js";
import type { AdmissionResponse } from "../../src/kube/admission-review.js";

const patch = Buffer.from(JSON.stringify([{ op: "add", path: "/metadata/labels/a", value: "b" }])).toString(
  "base64",
);

describe("reviewJson", () => {
  it.each<[string, AdmissionResponse]>([
    ["an allowed answer", { uid: "u1", allowed: true }],
    [
      "a patch with warnings that need escaping",
      {
        uid: "u2",
        allowed: true,
        warnings: ['spec.containers[0].env[3]: "HOME" renamed\nto CVM_ENV_HOME …', "tab\there \\ back"],
        auditAnnotations: { "cvm.dev/break-glass": '{"user":"alice"}' },
        patchType: "JSONPatch",
        patch,
      },
    ],
    [
      "a denial",
      { uid: "u3", allowed: false, status: { code: 403, reason: "Forbidden", message: 'no "exec"' } },
    ],
  ])("writes %s as JSON that parses back to the review", (_what, response) => {
    const review = toReview("admission.k8s.io/v1", response);
    const text = reviewJson(review);
    expect(JSON.parse(text)).toEqual(review);
    expect(text).toBe(JSON.stringify(review));
  });

  it("writes a v1beta1 review with its own apiVersion", () => {
    const review = toReview("admission.k8s.io/v1beta1", {
      uid: "u4",
      allowed: true,
      patchType: "JSONPatch",
      patch,
    });
    expect(JSON.parse(reviewJson(review))).toEqual(review);
  });
});
