// The inner container's user and the app container's securityContext (docs/cvm-form.md, "The
// inner user", "Security settings"). envbox runs the inner container as root under sysbox and
// execs the user's command as CODER_INNER_USERNAME: the effective runAsUser, or the user the
// annotation cvm.dev/inner-user names. Settings that would hand the user privileges are refused;
// settings that mean nothing inside the CVM are removed with a warning saying why.

import type { V1Container, V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";
import type { Findings } from "./findings.js";
import { INNER_USER_ANNOTATION } from "./names.js";

/** A user name envbox can look up with getent (useradd's rule). */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Container settings that cannot reach the inner container, each with why removing them is harmless. */
const REMOVED: readonly [keyof V1SecurityContext, string][] = [
  ["runAsGroup", "the inner user's groups come from the image's /etc/passwd and /etc/group"],
  ["readOnlyRootFilesystem", "the inner root filesystem is sysbox's and stays writable"],
  ["allowPrivilegeEscalation", "setuid inside the CVM only reaches the CVM's own user namespace"],
  [
    "capabilities",
    "root inside the CVM has every capability of its own user namespace; a non-root user none",
  ],
  ["seccompProfile", "sysbox applies its own seccomp filter to the inner container"],
  [
    "appArmorProfile",
    "sysbox confines the inner container itself; profiles of the node cannot be named inside",
  ],
  ["seLinuxOptions", "the inner container is labelled by sysbox, not by the kubelet"],
  ["procMount", "sysbox virtualises the inner /proc itself"],
  ["windowsOptions", "CVMs run Linux only"],
];

function checkContainerContext(sc: V1SecurityContext, path: string, findings: Findings): void {
  if (sc.privileged) {
    findings.reasons.push(
      `${path}.privileged: not allowed; remove it: the CVM already runs Docker, systemd and mounts as root inside ` +
        `without privileges on the node`,
    );
  }
  if ((sc.capabilities?.add ?? []).length > 0) {
    findings.reasons.push(
      `${path}.capabilities.add: not allowed; remove it: root inside the CVM already has every capability of the CVM`,
    );
  }
  for (const [field, why] of REMOVED) {
    if (sc[field] === undefined || (field === "capabilities" && (sc.capabilities?.add ?? []).length > 0))
      continue;
    findings.warnings.push(`${path}.${field} removed: ${why}`);
  }
}

/**
 * CODER_INNER_USERNAME: the annotation's user name, else the effective runAsUser (container, else
 * pod) as a decimal UID, else "root".
 */
export function innerUsername(
  app: V1Container,
  appPath: string,
  podContext: V1PodSecurityContext | undefined,
  annotations: Readonly<Record<string, string>> | undefined,
  findings: Findings,
): string {
  const sc = app.securityContext ?? {};
  checkContainerContext(sc, `${appPath}.securityContext`, findings);
  if (podContext?.seLinuxOptions) {
    findings.reasons.push(
      `spec.securityContext.seLinuxOptions: would label the privileged supervisor; remove it (sysbox labels the CVM)`,
    );
  }
  for (const kind of ["seccompProfile", "appArmorProfile"] as const) {
    if (podContext?.[kind]?.type === "Unconfined") {
      findings.reasons.push(
        `spec.securityContext.${kind}: Unconfined is not allowed on a CVM pod; remove it`,
      );
    }
  }
  if (podContext?.runAsGroup !== undefined) {
    findings.warnings.push(
      `spec.securityContext.runAsGroup removed: it would apply to the supervisor, which runs as root; the inner ` +
        `user's groups come from the image`,
    );
  }
  const uid = sc.runAsUser ?? podContext?.runAsUser;
  const named = annotations?.[INNER_USER_ANNOTATION];
  const where = `metadata.annotations["${INNER_USER_ANNOTATION}"]`;
  if (named !== undefined) {
    if (!USER_NAME.test(named))
      findings.reasons.push(`${where}: ${JSON.stringify(named)} is not a user name`);
    if (uid !== undefined)
      findings.warnings.push(`${appPath}.securityContext.runAsUser: ${where} names the inner user instead`);
    return named;
  }
  const nonRoot = sc.runAsNonRoot ?? podContext?.runAsNonRoot;
  if (nonRoot && !uid) {
    findings.reasons.push(
      `${appPath}.securityContext.runAsNonRoot: true needs a non-zero runAsUser in the CVM (the image's USER is not ` +
        `used), or name the user with ${where}`,
    );
  }
  if (uid) {
    findings.warnings.push(
      `${appPath}.securityContext.runAsUser: ${uid} must have an entry in the image's /etc/passwd with a writable ` +
        `home directory, or envbox stops before the workspace starts; ${where} can name the user instead`,
    );
  }
  return uid === undefined ? "root" : String(uid);
}

/** The inverse: the container securityContext that yields this CODER_INNER_USERNAME; null when none does. */
export function securityContextFor(username: string): V1SecurityContext | undefined | null {
  if (username === "root") return undefined;
  return /^(0|[1-9]\d{0,9})$/.test(username) ? { runAsUser: Number(username) } : null;
}
