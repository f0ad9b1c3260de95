// One throwaway CA + serving certificate per test process, made by the product's own generator,
// valid for localhost/127.0.0.1 and the Service names the admit harness dials.

import { generateCertificateAuthority, issueServingCertificate } from "../../src/certs/generate.js";

export interface TestTls {
  cert: string;
  key: string;
  ca: string;
}

let pair: Promise<TestTls> | undefined;

export function testTlsPair(): Promise<TestTls> {
  pair ??= (async () => {
    const ca = await generateCertificateAuthority();
    const serving = await issueServingCertificate(ca, {
      serviceName: "cvm-admission",
      namespace: "cvm-system",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    return { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem };
  })();
  return pair;
}
