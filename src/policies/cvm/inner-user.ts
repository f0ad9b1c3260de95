// The inner container's user and the securityContext rows of the reject table (docs/cvm-form.md).
// envbox runs the inner container as root under sysbox and execs the user's command as
// CODER_INNER_USERNAME; nothing else of a securityContext can be expressed inside.

import type { V1Container, V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";
import type { Findings } from "./findings.js";

type SharedContext = Pick<
  V1SecurityContext,
  "seLinuxOptions" | "seccompProfile" | "appArmorProfile" | "runAsGroup"
>;

function rejectShared(sc: SharedContext, path: string, findings: Findings): void {
  const unrepresentable = "is not representable in the CVM's inner container";
  if (sc.runAsGroup !== undefined) findings.reasons.push(`${path}.runAsGroup ${unrepresentable}`);
  if (sc.seLinuxOptions) findings.reasons.push(`${path}.seLinuxOptions ${unrepresentable}`);
  if (sc.seccompProfile?.type === "Unconfined")
    findings.reasons.push(`${path}.seccompProfile: Unconfined ${unrepresentable}`);
  if (sc.appArmorProfile?.type === "Unconfined")
    findings.reasons.push(`${path}.appArmorProfile: Unconfined ${unrepresentable}`);
}

function rejectContainerContext(sc: V1SecurityContext, path: string, findings: Findings): void {
  const unsafe =
    "is not allowed: the CVM supervisor is already privileged and nothing of it may reach the user";
  if (sc.privileged) findings.reasons.push(`${path}.privileged ${unsafe}`);
  if ((sc.capabilities?.add ?? []).length > 0) findings.reasons.push(`${path}.capabilities.add ${unsafe}`);
  if (sc.allowPrivilegeEscalation) findings.reasons.push(`${path}.allowPrivilegeEscalation: true ${unsafe}`);
  const unrepresentable = "is not representable in the CVM's inner container";
  if (sc.procMount !== undefined && sc.procMount !== "Default")
    findings.reasons.push(`${path}.procMount ${unrepresentable}`);
  if (sc.readOnlyRootFilesystem) findings.reasons.push(`${path}.readOnlyRootFilesystem ${unrepresentable}`);
  if (sc.windowsOptions) findings.reasons.push(`${path}.windowsOptions ${unrepresentable}`);
  rejectShared(sc, path, findings);
  const dropped = [
    (sc.capabilities?.drop ?? []).length > 0 ? "capabilities.drop" : "",
    sc.allowPrivilegeEscalation === false ? "allowPrivilegeEscalation" : "",
    sc.seccompProfile && sc.seccompProfile.type !== "Unconfined" ? "seccompProfile" : "",
    sc.appArmorProfile && sc.appArmorProfile.type !== "Unconfined" ? "appArmorProfile" : "",
  ].filter(Boolean);
  if (dropped.length > 0) {
    findings.warnings.push(
      `${path}: ${dropped.join(", ")} dropped: the inner container runs under sysbox's own confinement instead`,
    );
  }
}

/**
 * CODER_INNER_USERNAME: the effective runAsUser (container, else pod) as a decimal UID, else "root".
 * Collects the reasons the container's or pod's securityContext cannot be carried into the CVM.
 */
export function innerUsername(
  app: V1Container,
  appPath: string,
  podContext: V1PodSecurityContext | undefined,
  findings: Findings,
): string {
  const sc = app.securityContext ?? {};
  rejectContainerContext(sc, `${appPath}.securityContext`, findings);
  if (podContext) rejectShared(podContext, "spec.securityContext", findings);
  const uid = sc.runAsUser ?? podContext?.runAsUser;
  const nonRoot = sc.runAsNonRoot ?? podContext?.runAsNonRoot;
  if (nonRoot && !uid) {
    findings.reasons.push(
      `${appPath}.securityContext.runAsNonRoot: true needs a non-zero runAsUser in the CVM (the image's USER is not used)`,
    );
  }
  return uid === undefined ? "root" : String(uid);
}

/** The inverse: the container securityContext that yields this CODER_INNER_USERNAME; null when none does. */
export function securityContextFor(username: string): V1SecurityContext | undefined | null {
  if (username === "root") return undefined;
  return /^(0|[1-9]\d{0,9})$/.test(username) ? { runAsUser: Number(username) } : null;
}
