// Pod Security pre-check (docs/cvm-form.md, "Pod Security"). Pod Security admission runs in the
// validating phase, after our mutation, and would reject a CVM pod with a generic message; this
// step of the mutating chain (before the CVM transform) reads the namespace's labels and says what
// to do instead. The envbox form needs "privileged" (privileged supervisor, hostPath volumes); the
// runtimeclass form passes "baseline" but not "restricted" (root in a user namespace). Label
// values are read the way Pod Security reads them: an invalid enforce level counts as restricted,
// invalid warn/audit levels as privileged (it fails open there).

import type { Form } from "../../config/config.js";
import type { PodMutator } from "../context.js";
import {
  FORMS,
  formOf,
  POD_SECURITY_LEVELS as LEVELS,
  type PodSecurityLevel as Level,
} from "../cvm/forms/index.js";
import { allow, deny } from "../decision.js";
import { isCvmPod } from "../cvm-pod.js";
import { requestNamespace } from "../cvm-pod.js";

export const POD_SECURITY_PREFIX = "pod-security.kubernetes.io/";
type Mode = "enforce" | "warn" | "audit";

/** The strictest level each form passes, and why. */
const neededLevel = (form: Form): Level => formOf({ form }).podSecurity.level;
const whyNeeded = (form: Form): string => formOf({ form }).podSecurity.why;

function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value);
}

function levelOf(labels: Readonly<Record<string, string>>, mode: Mode): Level | undefined {
  const value = labels[POD_SECURITY_PREFIX + mode];
  if (value === undefined) return undefined;
  if (isLevel(value)) return value;
  return mode === "enforce" ? "restricted" : "privileged";
}

function rejects(level: Level | undefined, form: Form): level is Level {
  return level !== undefined && LEVELS.indexOf(level) > LEVELS.indexOf(neededLevel(form));
}

function enforceAdvice(namespace: string, level: Level, form: Form): string {
  const label = `${POD_SECURITY_PREFIX}enforce=${neededLevel(form)}`;
  const fix = `label the namespace ${label} (kubectl label --overwrite namespace ${namespace} ${label})`;
  const passing = (Object.keys(FORMS) as Form[]).filter((other) => other !== form && !rejects(level, other));
  const instead = passing.map(
    (other) =>
      `, or ask the cluster operator for the ${other} form (cvm-admission config form: ${other}, ` +
      `${FORMS[other].nodesNeed}), which passes ${level}`,
  );
  return fix + instead.join("");
}

export const podSecurityPrecheck: PodMutator = (pod, ctx) => {
  if (!isCvmPod(pod, ctx.config)) return allow();
  const namespace = requestNamespace(ctx);
  const labels = ctx.view.namespace(namespace)?.labels;
  if (labels === undefined) return allow();
  const form = ctx.config.form;

  const enforce = levelOf(labels, "enforce");
  if (rejects(enforce, form)) {
    const raw = labels[POD_SECURITY_PREFIX + "enforce"];
    const read =
      raw === enforce
        ? ""
        : ` (${JSON.stringify(raw)} is not a Pod Security level, so Kubernetes enforces restricted)`;
    return deny([
      `namespace ${namespace} enforces Pod Security level ${enforce}${read}, which rejects CVM pods of the ` +
        `${form} form (${whyNeeded(form)}): ${enforceAdvice(namespace, enforce, form)}`,
    ]);
  }

  const warnings: string[] = [];
  const warn = levelOf(labels, "warn");
  if (rejects(warn, form)) {
    warnings.push(
      `namespace ${namespace} has ${POD_SECURITY_PREFIX}warn=${warn}: Kubernetes will warn that this CVM pod ` +
        `violates ${warn} (${whyNeeded(form)}); that is expected for a CVM, set warn=${neededLevel(form)} to silence it`,
    );
  }
  const audit = levelOf(labels, "audit");
  if (rejects(audit, form)) {
    warnings.push(
      `namespace ${namespace} has ${POD_SECURITY_PREFIX}audit=${audit}: the audit log will record this CVM pod as ` +
        `violating ${audit} (${whyNeeded(form)}); that is expected for a CVM, set audit=${neededLevel(form)} to stop it`,
    );
  }
  return allow(warnings);
};
