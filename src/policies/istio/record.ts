// The finding as recorded on the pod (annotation cvm.dev/istio): compact JSON with a fixed key
// order, so the same pod always gets the same bytes and re-invocation makes no patch.

import type { IstioPolicy } from "../../config/config.js";
import type { IstioFinding } from "./detect.js";

export const ISTIO_RECORD_ANNOTATION = "cvm.dev/istio";
/** The same record as an audit annotation of the validating webhook (the apiserver prefixes the
 * webhook's name, `<webhook>/istio`, so the key itself carries no `/`); the admission log can show it. */
export const ISTIO_AUDIT_KEY = "istio";

export function istioRecord(finding: IstioFinding, policy: IstioPolicy): string {
  const { state, signal, revision, proxyVersion } = finding;
  return JSON.stringify({ state, signal, revision, proxyVersion, policy });
}
