// One rule for every pod of an opted-in namespace (docs/access.md). Such a namespace must run Pod
// Security `privileged` so the envbox supervisor can start, which leaves this webhook as the only
// guard: every pod CREATE, and every UPDATE or pods/ephemeralcontainers request that adds or changes
// containers, meets Pod Security `baseline` (access.baselineVersion; baseline.ts), with two
// exceptions and nothing else:
// - the exact CVM form (re-derived and compared, checkCvmForm, on a pod carrying the opt-in label):
//   the supervisor's privileged flag and the cvm-* hostPath volumes, which the mutation made;
// - a mesh container in the shape Istio's injector produces (injected-shape.ts): Istio's
//   capabilities, and never beside the supervisor under istio.policy optOut or deny.
// Nothing a pod says about itself counts (a pre-set cvm.dev/mutated annotation, a container name).
// The reserved cvm-* volumes belong to the supervisor alone, whatever else the pod is (judged-pod.ts).

import type { V1Pod, V1PodSpec } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import { validator, type PolicyContext } from "../context.js";
import { allow, deny, type Decision } from "../decision.js";
import { checkCvmForm, type CvmFormCheck } from "../cvm/derive.js";
import { allowBreakGlass, breakGlassGroup } from "./break-glass.js";
import { containersOf, hasFindings, judgePod, LISTS, sentence, type ContainerList } from "./judged-pod.js";
import { ephemeralContainers } from "./no-way-in.js";
import {
  isCvmPod,
  isOptedInNamespace,
  podCreateInScope,
  podOf,
  podRef,
  requestNamespace,
} from "../cvm-pod.js";

function whyNotOurs(form: CvmFormCheck, labelled: boolean, ctx: PolicyContext): string {
  if (!form.claimed) return "";
  if (!form.exact)
    return ` It has the shape of a CVM pod but is not exactly what cvm-admission builds: ${form.reasons.join("; ")}.`;
  return labelled
    ? ""
    : ` It has the shape of a CVM pod but lacks the label ${ctx.config.labels.podOptIn}=true that keeps everyone out of its supervisor.`; // prettier-ignore
}

function judgeCreate(ctx: PolicyContext): Decision {
  const scope = podCreateInScope(ctx);
  if (scope === undefined) return allow();
  if (scope.pod === undefined)
    return deny([`request.object must be the Pod being created: it ${scope.problem}`], [], 400);
  const { namespace, pod } = scope;
  const labelled = isCvmPod(pod, ctx.config);
  // Re-deriving the form costs a transform: only a pod that fails as an ordinary pod pays for it.
  let findings = judgePod(pod, ctx, false);
  if (!hasFindings(findings)) return allow();
  const form = checkCvmForm(pod, ctx);
  if (form.exact && labelled) findings = judgePod(pod, ctx, true);
  if (!hasFindings(findings)) return allow();
  const { labels } = ctx.config;
  return deny([
    `${podRef(namespace, ctx.request.name || pod.metadata?.name)} cannot be created in namespace ${namespace}, ` +
      `which is opted in to CVMs (label ${labels.namespaceOptIn}=true): ${sentence(findings)}. In this namespace ` +
      `every pod but cvm-admission's own CVM supervisors must meet Pod Security baseline (the namespace runs ` +
      `Pod Security privileged for the supervisors, so cvm-admission checks it).${whyNotOurs(form, labelled, ctx)} ` +
      `To get a CVM, create an ordinary pod labelled ${labels.podOptIn}=true and let cvm-admission build it; run ` +
      `privileged infrastructure pods in a namespace that is not opted in`,
  ]);
}

/** Containers an UPDATE adds or changes (anything but resources, which resize.ts judges). */
function changedContainers(oldSpec: V1PodSpec | undefined, newSpec: V1PodSpec | undefined): V1PodSpec {
  const changed = (list: ContainerList) => {
    const before = new Map(containersOf(oldSpec, list).map((c) => [c.name, c]));
    return containersOf(newSpec, list).filter((c) => {
      const old = before.get(c.name);
      return old === undefined || !isDeepStrictEqual({ ...old, resources: undefined }, { ...c, resources: undefined });
    }); // prettier-ignore
  };
  return {
    initContainers: changed("initContainers"),
    containers: changed("containers"),
    ephemeralContainers: changed("ephemeralContainers"),
  };
}

/** Per-container annotations (AppArmor, old seccomp) of the changed containers only. */
function annotationsFor(pod: V1Pod | undefined, names: ReadonlySet<string>): Record<string, string> {
  const entries = Object.entries(pod?.metadata?.annotations ?? {});
  return Object.fromEntries(entries.filter(([key]) => names.has(key.slice(key.lastIndexOf("/") + 1))));
}

function judgeUpdate(ctx: PolicyContext): Decision {
  const { request } = ctx;
  const ephemeral = request.subResource === "ephemeralcontainers";
  const namespace = requestNamespace(ctx);
  if (!isOptedInNamespace(ctx, namespace)) return allow();
  const oldPod = podOf(request.oldObject);
  const newPod = podOf(request.object);
  // The pre-1.22 EphemeralContainers body carries only the list.
  const spec =
    newPod !== undefined
      ? changedContainers(oldPod?.spec, newPod.spec)
      : changedContainers({ containers: [], ephemeralContainers: ephemeralContainers(request.oldObject) }, { containers: [], ephemeralContainers: ephemeralContainers(request.object) }); // prettier-ignore
  const names = LISTS.flatMap((list) => containersOf(spec, list).map((c) => c.name));
  if (names.length === 0) return allow();
  // Pod-level fields cannot change on UPDATE; the user-namespace switch still decides /proc.
  const judged: V1Pod = {
    metadata: { annotations: annotationsFor(newPod, new Set(names)) },
    spec: { ...spec, hostUsers: newPod?.spec?.hostUsers },
  };
  const findings = judgePod(judged, ctx, false);
  if (!hasFindings(findings)) return allow();
  const ref = podRef(namespace, request.name || newPod?.metadata?.name);
  const group = breakGlassGroup(ctx);
  if (ephemeral && group !== undefined)
    return allowBreakGlass(ctx, group, `ephemeral container ${names.join(", ")} in ${ref} past Pod Security baseline (${sentence(findings)})`); // prettier-ignore
  const what = ephemeral
    ? `adding ephemeral container ${names.join(", ")} (kubectl debug) to ${ref}`
    : `update of ${ref} changing container ${names.join(", ")}`;
  const instead = ephemeral
    ? "debug with a profile that meets it (kubectl debug --profile=baseline or --profile=restricted)"
    : "keep the new containers within it";
  return deny([
    `${what} refused: ${sentence(findings)}; namespace ${namespace} is opted in to CVMs and every container added ` +
      `there must meet Pod Security baseline: ${instead}`,
  ]);
}

/** Pods created or updated, and ephemeral containers added (pods/status and pods/resize change no container). */
const POD_WRITES = [
  { operations: ["CREATE", "UPDATE"], resources: ["pods"] },
  { operations: ["UPDATE"], resources: ["pods/ephemeralcontainers"] },
] as const;

export const enforceBaseline = validator(POD_WRITES, (ctx) =>
  ctx.request.operation === "CREATE" ? judgeCreate(ctx) : judgeUpdate(ctx),
);
