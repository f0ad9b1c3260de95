// The user's volumeMounts: mounted into the supervisor, then bound into the inner container by
// envbox through CODER_MOUNTS `src:dst[:ro]` (docs/cvm-form.md, "Mounts").

import { posix } from "node:path";
import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { escapeLiteral, unescapeLiteral } from "./expansion.js";
import type { Findings } from "./findings.js";
import { MOUNT_STAGING_DIR, SERVICE_ACCOUNT_TOKEN_PATH } from "./names.js";

/** envbox's and sysbox's own places in the supervisor (and ours): no user mount may land on or under them. */
const FORBIDDEN_TREES: readonly string[] = [
  "/var/lib/docker",
  "/var/lib/containers",
  "/var/lib/sysbox",
  "/lib/modules",
  "/usr/src",
  "/var/lib/coder",
  "/var/lib/cvm",
];
const FORBIDDEN_TARGETS: ReadonlySet<string> = new Set(["/", "/proc", "/sys", "/dev"]);

export interface EncodedMounts {
  supervisorMounts: V1VolumeMount[];
  /** CODER_MOUNTS, or undefined when the container mounts nothing. */
  value: string | undefined;
}

/**
 * Where mount i sits in the supervisor. A home directory or /root keeps its path, so envbox chowns it
 * to the inner user; the service-account token keeps its path, so the ServiceAccount admission
 * plugin (re-run after webhooks) finds the token mounted and adds nothing to the supervisor.
 */
export function supervisorSource(target: string, index: number): string {
  if (/^\/home\/[^/]+$/.test(target) || target === "/root" || target === SERVICE_ACCOUNT_TOKEN_PATH)
    return target;
  return `${MOUNT_STAGING_DIR}/${String(index).padStart(2, "0")}`;
}

function checkMount(mount: V1VolumeMount, path: string, findings: Findings): void {
  const target = mount.mountPath;
  if (!target.startsWith("/")) {
    findings.reasons.push(`${path}.mountPath: ${JSON.stringify(target)} must be an absolute path`);
    return;
  }
  if (/[,:]/.test(target)) {
    findings.reasons.push(
      `${path}.mountPath: ${JSON.stringify(target)} contains "," or ":", which CODER_MOUNTS cannot express`,
    );
  }
  const normal = posix.normalize(target).replace(/(.)\/$/, "$1");
  if (
    FORBIDDEN_TARGETS.has(normal) ||
    FORBIDDEN_TREES.some((t) => normal === t || normal.startsWith(t + "/"))
  ) {
    findings.reasons.push(`${path}.mountPath: ${target} is used by the CVM supervisor itself`);
  }
  if (mount.mountPropagation !== undefined && mount.mountPropagation !== "None") {
    findings.reasons.push(
      `${path}.mountPropagation: ${mount.mountPropagation} cannot cross into the CVM (only None)`,
    );
  }
  if (mount.recursiveReadOnly !== undefined && mount.recursiveReadOnly !== "Disabled") {
    findings.reasons.push(
      `${path}.recursiveReadOnly: ${mount.recursiveReadOnly} cannot be kept: envbox remounts sources read-write`,
    );
  }
}

/**
 * The kubelet mounts these read-only whatever the volumeMount says (makeMounts: API volumes and
 * image volumes always, other sources when they say readOnly). envbox must be told (`:ro`): it
 * remounts a read-only source read-write before its chmod, which fails on a read-only mount.
 */
export function mountedReadOnly(volume: V1Volume | undefined): boolean {
  if (!volume) return false;
  if (volume.configMap || volume.secret || volume.projected || volume.downwardAPI || volume.image)
    return true;
  return Object.values(volume).some(
    (source: unknown) =>
      typeof source === "object" && source !== null && "readOnly" in source && source.readOnly === true,
  );
}

export function encodeMounts(
  mounts: readonly V1VolumeMount[],
  appPath: string,
  findings: Findings,
  volumes: readonly V1Volume[] = [],
): EncodedMounts {
  const entries: string[] = [];
  const byName = new Map(volumes.map((v) => [v.name, v]));
  const supervisorMounts = mounts.map((mount, i) => {
    checkMount(mount, `${appPath}.volumeMounts[${i}]`, findings);
    const source = supervisorSource(mount.mountPath, i);
    const readOnly = mount.readOnly === true || mountedReadOnly(byName.get(mount.name));
    entries.push(`${source}:${mount.mountPath}${readOnly ? ":ro" : ""}`);
    return { ...mount, mountPath: source };
  });
  return { supervisorMounts, value: entries.length > 0 ? escapeLiteral(entries.join(",")) : undefined };
}

/** The inverse: the mount targets listed in CODER_MOUNTS, in order; undefined when malformed. */
export function decodeMountTargets(value: string): string[] | undefined {
  const targets: string[] = [];
  for (const entry of unescapeLiteral(value).split(",")) {
    const parts = entry.split(":");
    if (parts.length < 2 || parts.length > 3) return undefined;
    targets.push(parts[1]!);
  }
  return targets;
}
