// A stand-in for istiod's /inject endpoint (Istio cannot run here): an HTTPS webhook that answers
// every AdmissionReview with the patch Istio's injector made in one fixture case (injectLikeIstio).
// Which pods reach it is decided by the apiserver's admission code from Istio's real
// MutatingWebhookConfiguration (a fixture), so the selectors under test are Istio's own.

import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { V1Pod } from "@kubernetes/client-node";
import fastJsonPatch from "fast-json-patch";
import { generateCertificateAuthority, issueServingCertificate } from "../../../src/certs/generate.js";
import { injectLikeIstio, withProxyImage, type InjectCase } from "./support.js";

export interface FakeIstiod {
  port: number;
  /** PEM of the CA that signed istiod.istio-system.svc, for the webhook configuration's caBundle. */
  ca: string;
  calls: number;
  close(): Promise<void>;
}

export async function startFakeIstiod(istioCase: InjectCase, proxyImage?: string): Promise<FakeIstiod> {
  const ca = await generateCertificateAuthority();
  const serving = await issueServingCertificate(ca, { serviceName: "istiod", namespace: "istio-system" });
  const state = { calls: 0 };
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      state.calls++;
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        apiVersion: string;
        request: { uid: string; object: V1Pod };
      };
      const pod = review.request.object;
      let injected = injectLikeIstio(pod, istioCase);
      if (proxyImage) injected = withProxyImage(injected, proxyImage);
      const patch = Buffer.from(JSON.stringify(fastJsonPatch.compare(pod, injected))).toString("base64");
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          apiVersion: review.apiVersion,
          kind: "AdmissionReview",
          response: { uid: review.request.uid, allowed: true, patchType: "JSONPatch", patch },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    ca: ca.certPem,
    get calls() {
      return state.calls;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
