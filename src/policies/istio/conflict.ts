// When an Istio finding is a conflict with the CVM form (docs/istio.md: a proxy in a bad version
// range, or ambient capture; an undatable proxy counts as bad), and how a finding is described.

import type { Config } from "../../config/config.js";
import { isBadVersion, parseVersionRange } from "../../config/version-range.js";
import type { IstioFinding } from "./detect.js";
import { UNKNOWN_VERSION } from "./proxy-version.js";

export function isConflict(finding: IstioFinding, config: Config): boolean {
  switch (finding.state) {
    case "not-injected":
      return false;
    case "ambient":
      return true;
    default:
      return isBadVersion(
        finding.proxyVersion ?? UNKNOWN_VERSION,
        parseVersionRange(config.istio.badVersions),
      );
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
