// No faking (docs/access.md): an opted-in namespace must admit privileged pods (the envbox supervisor is
// one), so every pod created there with a privileged feature must be exactly what cvm-admission's
// mutation produces from the original it re-derives to (checkCvmForm, the same function the
// mutation's idempotency check uses). Nothing the pod says about itself counts: a pre-set
// cvm.dev/mutated annotation proves nothing. Even an exact CVM form only covers what the mutation
// made (the supervisor, the cvm-* volumes); sidecars added later are judged on their own.

import { validator } from "../context.js";
import { allow, deny } from "../decision.js";
import { checkCvmForm } from "../cvm/derive.js";
import { isCvmPod } from "../cvm-pod.js";
import { privilegedFeatures, type PrivilegedFeature } from "./privileged-features.js";
import { POD_CREATE } from "../matches.js";
import { podCreateInScope, podRef } from "../cvm-pod.js";

/** For a pod that claims the CVM form, the pieces the form is made of are named together. */
function describe(features: readonly PrivilegedFeature[], claimed: boolean): string {
  if (!claimed) return features.map((f) => f.text).join("; ");
  const parts = features.filter((f) => f.madeByMutation).map((f) => f.subject);
  const others = features.filter((f) => !f.madeByMutation).map((f) => f.text);
  const cvmParts = parts.length > 0 ? [`privileged CVM parts (${parts.join(", ")})`] : [];
  return [...cvmParts, ...others].join("; ");
}

export const denyFakedCvmForm = validator(POD_CREATE, (ctx) => {
  const scope = podCreateInScope(ctx);
  if (scope === undefined) return allow();
  if (scope.pod === undefined)
    return deny([`request.object must be the Pod being created: it ${scope.problem}`], [], 400);
  const { namespace, pod } = scope;

  const features = privilegedFeatures(pod);
  if (features.length === 0) return allow();
  const form = checkCvmForm(pod, ctx);
  // The label is what keeps exec & co. out (no-way-in.ts): an exact form without it would be a
  // privileged supervisor anyone may enter.
  const labelled = isCvmPod(pod, ctx.config);
  const ours = form.exact && labelled;
  const left = ours ? features.filter((f) => !f.madeByMutation) : features;
  if (left.length === 0) return allow();

  const ref = podRef(namespace, ctx.request.name || pod.metadata?.name);
  const why = !form.claimed
    ? ""
    : !form.exact
      ? ` It has the shape of a CVM pod but is not exactly what cvm-admission builds: ${form.reasons.join("; ")}.`
      : labelled
        ? ""
        : ` It has the shape of a CVM pod but lacks the label ${ctx.config.labels.podOptIn}=true that keeps everyone out of its supervisor.`;
  return deny([
    `${ref} cannot be created in namespace ${namespace}, which is opted in to CVMs (label ` +
      `${ctx.config.labels.namespaceOptIn}=true): ${describe(left, form.claimed)}. In this namespace only ` +
      `cvm-admission's own CVM supervisors may reach into the node.${why} To get a CVM, create an ordinary ` +
      `pod labelled ${ctx.config.labels.podOptIn}=true and let cvm-admission build it; run privileged ` +
      `infrastructure pods in a namespace that is not opted in`,
  ]);
});
