// The volumes envbox and sysbox need in the supervisor (docs/cvm-form.md, "Volumes"). All reserved
// `cvm-*`. The outer stores (/var/lib/docker, /var/lib/containers, /var/lib/sysbox) are always
// emptyDirs, never a user's volume: another pod mounting that volume could edit state the
// privileged dockerd later acts on. The inner Docker state (/var/lib/coder/{docker,containers},
// the inner container's own /var/lib/docker and /var/lib/containers) may live on a volume of the
// pod named by cvm.dev/docker-state-volume, in subPaths, so it outlives a restart.

import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { EXTRA_CA_KEY, GPU_LIBRARY_PATH } from "./names.js";

interface Injected {
  name: string;
  mountPath: string;
  hostPath?: string;
  /** Holds pulled images: gets the configured sizeLimit. */
  imageStore?: boolean;
  /** The subPath of the docker-state volume that replaces this emptyDir when the pod names one. */
  stateSubPath?: string;
}

const INJECTED: readonly Injected[] = [
  { name: "cvm-sysbox", mountPath: "/var/lib/sysbox" },
  { name: "cvm-docker", mountPath: "/var/lib/docker", imageStore: true },
  { name: "cvm-containers", mountPath: "/var/lib/containers" },
  {
    name: "cvm-inner-docker",
    mountPath: "/var/lib/coder/docker",
    imageStore: true,
    stateSubPath: "cvm/docker",
  },
  { name: "cvm-inner-containers", mountPath: "/var/lib/coder/containers", stateSubPath: "cvm/containers" },
  { name: "cvm-lib-modules", mountPath: "/lib/modules", hostPath: "/lib/modules" },
  { name: "cvm-usr-src", mountPath: "/usr/src", hostPath: "/usr/src" },
];

/**
 * cvm.dev/extra-ca-configmap: the ConfigMap's ca.crt alone, as a file. envbox copies every entry
 * of a certificates directory and stops at the `..data` link a ConfigMap directory holds.
 */
const EXTRA_CA_VOLUME = "cvm-extra-ca";
const EXTRA_CA_DIR = "/var/lib/cvm/extra-ca";
export const EXTRA_CA_PATH = `${EXTRA_CA_DIR}/${EXTRA_CA_KEY}`;
/** GPU passthrough (gpu.ts): the host's library directory, read-only, where CODER_USR_LIB_DIR points. */
const GPU_LIBRARY_VOLUME = "cvm-gpu-libraries";

/** What the pod asked for that needs a volume of its own. */
export interface InjectedOptions {
  /** The pod's volume named by cvm.dev/docker-state-volume. */
  stateVolume?: string | undefined;
  /** The extra-CA ConfigMap. */
  caConfigMap?: string | undefined;
  gpu?: boolean;
}

export function injectedVolumes(config: Config, options: InjectedOptions): V1Volume[] {
  const { stateVolume, caConfigMap, gpu = false } = options;
  const sizeLimit = config.supervisor.dockerVolumeSizeLimit;
  const injected = stateVolume ? INJECTED.filter((v) => !v.stateSubPath) : INJECTED;
  const volumes = injected.map((v): V1Volume => {
    // type "" is what the apiserver defaults to; spelt out so a re-invocation compares equal.
    if (v.hostPath) return { name: v.name, hostPath: { path: v.hostPath, type: "" } };
    return { name: v.name, emptyDir: v.imageStore && sizeLimit ? { sizeLimit } : {} };
  });
  if (caConfigMap) {
    volumes.push({
      name: EXTRA_CA_VOLUME,
      // defaultMode 420 (0644) is the apiserver's default, spelt out so a re-invocation compares equal.
      configMap: { name: caConfigMap, items: [{ key: EXTRA_CA_KEY, path: EXTRA_CA_KEY }], defaultMode: 420 },
    });
  }
  if (gpu) {
    // Directory: a node without it fails the pod at the kubelet, with an event naming the path,
    // rather than envbox stopping later with "stat /usr/lib mountpoint".
    volumes.push({
      name: GPU_LIBRARY_VOLUME,
      hostPath: { path: config.supervisor.gpu.hostLibraryDir, type: "Directory" },
    });
  }
  return volumes;
}

/** The supervisor's mounts of the injected volumes. */
export function injectedMounts(options: {
  stateVolume?: string | undefined;
  extraCa?: boolean;
  gpu?: boolean;
}): V1VolumeMount[] {
  const { stateVolume, extraCa = false, gpu = false } = options;
  const mounts = INJECTED.map((v): V1VolumeMount => {
    if (v.hostPath) return { name: v.name, mountPath: v.mountPath, readOnly: true };
    if (stateVolume && v.stateSubPath)
      return { name: stateVolume, mountPath: v.mountPath, subPath: v.stateSubPath };
    return { name: v.name, mountPath: v.mountPath };
  });
  if (extraCa) mounts.push({ name: EXTRA_CA_VOLUME, mountPath: EXTRA_CA_DIR, readOnly: true });
  if (gpu) mounts.push({ name: GPU_LIBRARY_VOLUME, mountPath: GPU_LIBRARY_PATH, readOnly: true });
  return mounts;
}
