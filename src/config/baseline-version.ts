// `access.baselineVersion`: which Kubernetes version's Pod Security `baseline` opted-in namespaces
// are judged by (docs/access.md). The grammar is the configuration's; what each version forbids
// is src/kube/pod-security-baseline.ts's.

import { NEWEST_BASELINE_MINOR } from "../kube/pod-security-baseline.js";

/** `latest` or `v1.N` up to the newest known minor: the values Pod Security's version labels take. */
export const BASELINE_VERSION_PATTERN = `^(latest|v1\\.([0-9]|[12][0-9]|3[0-${NEWEST_BASELINE_MINOR % 10}]))$`;

/** The minor version a config value names: `latest` is the newest this code knows. */
export function baselineMinor(version: string): number {
  return version === "latest" ? NEWEST_BASELINE_MINOR : Number(version.replace(/^v1\./, ""));
}
