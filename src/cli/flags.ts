// Flags several commands share, declared once so their help reads the same everywhere.

import type { Config } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import type { Flag } from "./args.js";

export const CONFIG_FLAG = {
  type: "string",
  value: "FILE",
  help: "configuration file (YAML); CVM_ADMISSION_* variables override it",
} as const satisfies Flag;

/** The configuration CONFIG_FLAG names (the defaults when it is absent), with the env overrides. */
export function configOfFlag(file: string | undefined): Config {
  return loadConfig(file === undefined ? {} : { file });
}

export const CLUSTER_VIEW_FLAG = {
  type: "string",
  value: "FILE",
  help: "read nodes, namespaces and pods from this file (YAML or JSON) instead of a cluster",
} as const satisfies Flag;

/** kubectl's flags for where the cluster is; see src/cli/kube-config.ts. */
export const CLUSTER_FLAGS = {
  kubeconfig: {
    type: "string",
    value: "FILE",
    help: "kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)",
  },
  context: {
    type: "string",
    value: "NAME",
    help: "kubeconfig context to use (default: its current context)",
  },
} as const satisfies Record<string, Flag>;
