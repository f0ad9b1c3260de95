// What the Istio policies share: which pods they judge, the namespace labels detection needs, and
// when a finding is a conflict with the CVM form (cvm-spec §5.1: a proxy in a bad version range, or
// ambient capture; an undatable proxy counts as bad).

import type { V1Pod } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import type { PolicyContext } from "../context.js";
import type { IstioFinding } from "./detect.js";
import { UNKNOWN_VERSION } from "./proxy-version.js";
import { isBadVersion, parseVersionRange, type VersionRange } from "../../config/version-range.js";

export function isCvmPod(pod: V1Pod, config: Config): boolean {
  return pod.metadata?.labels?.[config.labels.podOptIn] === "true";
}

/** The pod's namespace labels from the cluster view; a namespace not (yet) cached counts as unlabelled. */
export function namespaceLabels(pod: V1Pod, ctx: PolicyContext): Readonly<Record<string, string>> {
  const name = ctx.request.namespace ?? pod.metadata?.namespace;
  return (name === undefined ? undefined : ctx.view.namespace(name)?.labels) ?? {};
}

const parsedRanges = new Map<string, VersionRange>();

function badRange(config: Config): VersionRange {
  const text = config.istio.badVersions;
  let range = parsedRanges.get(text);
  if (range === undefined) {
    range = parseVersionRange(text);
    parsedRanges.set(text, range);
  }
  return range;
}

export function isConflict(finding: IstioFinding, config: Config): boolean {
  switch (finding.state) {
    case "not-injected":
      return false;
    case "ambient":
      return true;
    default:
      return isBadVersion(finding.proxyVersion ?? UNKNOWN_VERSION, badRange(config));
  }
}

/** "proxy 1.20.3 via namespace label istio-injection=enabled, revision default" */
export function describeFinding(finding: IstioFinding): string {
  const parts = [
    finding.state === "ambient" ? "ambient mode" : `proxy ${finding.proxyVersion ?? UNKNOWN_VERSION}`,
  ];
  parts.push(`signal: ${finding.signal}`);
  if (finding.revision !== undefined) parts.push(`revision ${finding.revision}`);
  return parts.join(", ");
}
