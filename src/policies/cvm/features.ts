// envbox switches a pod asks for with cvm.dev/* annotations (docs/cvm-form.md, "Options"): TUN and
// FUSE devices in the inner container, sysbox without idmapped mounts (filesystems that lack them,
// such as XFS on older kernels), the inner Docker bridge's CIDR (envbox's 172.19.0.1/30 may clash
// with the cluster's networks) and the ConfigMap of extra CA certificates. The configuration
// gives each a cluster default and says whether pods may change it; cvm.dev/* annotations cannot
// change after creation.

import type { V1EnvVar } from "@kubernetes/client-node";
import type { Config, FeatureName } from "../../config/config.js";
import { CIDR_PATTERN, CONFIGMAP_NAME_PATTERN } from "../../config/schema.js";
import type { Findings } from "./findings.js";
import {
  BRIDGE_CIDR_ANNOTATION,
  ENV,
  EXTRA_CA_ANNOTATION,
  EXTRA_CA_KEY,
  FUSE_ANNOTATION,
  IDMAPPED_ANNOTATION,
  TUN_ANNOTATION,
} from "./names.js";

const SWITCHES: readonly { feature: FeatureName; annotation: string; env: string }[] = [
  { feature: "tun", annotation: TUN_ANNOTATION, env: ENV.addTun },
  { feature: "fuse", annotation: FUSE_ANNOTATION, env: ENV.addFuse },
  { feature: "disableIdmappedMount", annotation: IDMAPPED_ANNOTATION, env: ENV.disableIdmappedMount },
];
const CIDR = new RegExp(CIDR_PATTERN);

const where = (annotation: string) => `metadata.annotations["${annotation}"]`;
const notAllowed = (annotation: string, setting: string) =>
  `${where(annotation)}: this cluster does not let pods change it (${setting} is false); remove the annotation ` +
  `or ask the cluster's operators`;

/** The CODER_* switches the pod gets (only those that are on: envbox's default is off for each). */
export function featureEnv(
  annotations: Readonly<Record<string, string>> | undefined,
  config: Config,
  findings: Findings,
): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  for (const { feature, annotation, env: name } of SWITCHES) {
    const { default: byDefault, allowed } = config.supervisor.features[feature];
    const asked = annotations?.[annotation];
    let on = byDefault;
    if (asked !== undefined) {
      if (asked !== "true" && asked !== "false") {
        findings.reasons.push(`${where(annotation)}: ${JSON.stringify(asked)} must be "true" or "false"`);
      } else if (!allowed && (asked === "true") !== byDefault) {
        findings.reasons.push(notAllowed(annotation, `supervisor.features.${feature}.allowed`));
      } else {
        on = asked === "true";
      }
    }
    if (on) env.push({ name, value: "true" });
  }
  const cidr = annotations?.[BRIDGE_CIDR_ANNOTATION] ?? config.supervisor.dockerBridgeCIDR;
  if (!CIDR.test(cidr)) {
    findings.reasons.push(
      `${where(BRIDGE_CIDR_ANNOTATION)}: ${JSON.stringify(cidr)} is not an IPv4 address with a prefix length (10.200.0.1/30)`,
    );
  } else if (cidr !== "") {
    env.push({ name: ENV.dockerBridgeCIDR, value: cidr });
  }
  return env;
}

const CONFIGMAP_NAME = new RegExp(CONFIGMAP_NAME_PATTERN);

/**
 * The ConfigMap whose key ca.crt envbox trusts for the inner image's registry:
 * cvm.dev/extra-ca-configmap ("" for none), else supervisor.extraCaConfigMap.default. Only a name
 * the pod chose is warned about: the cluster's default is its operators' to provide in every namespace.
 */
export function extraCaConfigMap(
  annotations: Readonly<Record<string, string>> | undefined,
  config: Config,
  findings: Findings,
): string | undefined {
  const { default: byDefault, allowed } = config.supervisor.extraCaConfigMap;
  const asked = annotations?.[EXTRA_CA_ANNOTATION];
  if (asked === undefined) return byDefault === "" ? undefined : byDefault;
  if (!CONFIGMAP_NAME.test(asked)) {
    findings.reasons.push(
      `${where(EXTRA_CA_ANNOTATION)}: ${JSON.stringify(asked)} is not a ConfigMap name (or "" for none)`,
    );
    return undefined;
  }
  if (!allowed && asked !== byDefault) {
    findings.reasons.push(notAllowed(EXTRA_CA_ANNOTATION, "supervisor.extraCaConfigMap.allowed"));
    return undefined;
  }
  if (asked === "") return undefined;
  findings.warnings.push(
    `${where(EXTRA_CA_ANNOTATION)}: envbox trusts the key ${EXTRA_CA_KEY} of ConfigMap ${asked} for the inner image's ` +
      `registry; the pod does not start until that ConfigMap and key exist`,
  );
  return asked;
}
