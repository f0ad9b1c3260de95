// The volumes envbox and sysbox need in the supervisor (docs/cvm-form.md, "Injected volumes"). All reserved `cvm-*`.
// The outer and inner image stores are emptyDirs, never the user's PVC: another pod mounting that
// PVC could edit state a privileged dockerd later acts on.

import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";

interface Injected {
  name: string;
  mountPath: string;
  hostPath?: string;
  /** Holds pulled images: gets the configured sizeLimit. */
  imageStore?: boolean;
}

const INJECTED: readonly Injected[] = [
  { name: "cvm-sysbox", mountPath: "/var/lib/sysbox" },
  { name: "cvm-docker", mountPath: "/var/lib/docker", imageStore: true },
  { name: "cvm-containers", mountPath: "/var/lib/containers" },
  { name: "cvm-inner-docker", mountPath: "/var/lib/coder/docker", imageStore: true },
  { name: "cvm-inner-containers", mountPath: "/var/lib/coder/containers" },
  { name: "cvm-lib-modules", mountPath: "/lib/modules", hostPath: "/lib/modules" },
  { name: "cvm-usr-src", mountPath: "/usr/src", hostPath: "/usr/src" },
];

export function injectedVolumes(config: Config): V1Volume[] {
  const sizeLimit = config.supervisor.dockerVolumeSizeLimit;
  return INJECTED.map((v): V1Volume => {
    // type "" is what the apiserver defaults to; spelt out so a re-invocation compares equal.
    if (v.hostPath) return { name: v.name, hostPath: { path: v.hostPath, type: "" } };
    return { name: v.name, emptyDir: v.imageStore && sizeLimit ? { sizeLimit } : {} };
  });
}

export function injectedMounts(): V1VolumeMount[] {
  return INJECTED.map((v) =>
    v.hostPath
      ? { name: v.name, mountPath: v.mountPath, readOnly: true }
      : { name: v.name, mountPath: v.mountPath },
  );
}
