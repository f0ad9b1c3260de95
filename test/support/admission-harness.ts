// What the tests through kube-apiserver's own admission code need: the admit harness ($KUBE_ADMIT)
// and a chart renderer, for our webhook configurations exactly as the chart renders them. Without
// either those tests skip, saying why.

import { findRenderer, render, type RenderOptions, type Renderer } from "../chart/render.js";
import { ADMIT_SKIP_REASON, KUBE_ADMIT } from "./admit.js";

const found = findRenderer();
const renderer: Renderer | undefined = "missing" in found ? undefined : found;

/** Why the apiserver-admission tests cannot run here, or undefined when they can. */
export const admissionSkipReason: string | undefined = !KUBE_ADMIT
  ? ADMIT_SKIP_REASON
  : "missing" in found
    ? found.missing
    : undefined;

interface WebhookConfiguration {
  kind: string;
  webhooks: { clientConfig: { caBundle?: string } }[];
}

/**
 * Our mutating and validating webhook configurations as the chart renders them with `options`;
 * with `caPem`, every webhook trusts that CA (the chart's selfManaged mode leaves caBundle to the
 * running leader, which no test cluster has).
 */
export function renderedWebhookConfigurations(options: RenderOptions = {}, caPem?: string): object[] {
  if (!renderer) throw new Error(admissionSkipReason);
  return render(renderer, options)
    .filter((m) => m.kind === "MutatingWebhookConfiguration" || m.kind === "ValidatingWebhookConfiguration")
    .map((m) => {
      const copy = structuredClone(m) as unknown as WebhookConfiguration;
      if (caPem !== undefined) {
        for (const hook of copy.webhooks) hook.clientConfig.caBundle = Buffer.from(caPem).toString("base64");
      }
      return copy;
    });
}
