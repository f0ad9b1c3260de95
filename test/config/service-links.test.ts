// The kubelet's service-link variables under our prefix are skipped, a setting or a typo is not
// (README.md, Configuration). Names and values are those pkg/kubelet/envvars writes for a Service
// (test/support/kubelet-env.ts builds them the same way for the start-up test).

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { isServiceLinkVariable } from "../../src/config/service-links.js";
import { serviceLinkEnv } from "../support/kubelet-env.js";

describe("service-link variables", () => {
  it.each([
    ["cvm-admission", "10.96.12.7"],
    ["cvm-admission-webhook", "10.96.12.8"],
    ["cvm-admission-server", "fd00:10:96::1"],
  ])("skips every variable the kubelet writes for Service %s (%s)", (service, clusterIP) => {
    const env = serviceLinkEnv({
      name: service,
      clusterIP,
      ports: [
        { name: "https", port: 443, protocol: "TCP" },
        { name: "metrics-udp", port: 9090, protocol: "UDP" },
      ],
    });
    expect(Object.keys(env).length).toBeGreaterThanOrEqual(12);
    const skipped: string[] = [];
    const config = loadConfig({ env, onServiceLink: (name) => skipped.push(name) });
    expect(skipped.sort()).toEqual(Object.keys(env).sort());
    expect(config.server.port).toBe(8443);
  });

  it.each([
    ["CVM_ADMISSION_SERVICE_HOST", "10.0.0.1"],
    ["CVM_ADMISSION_SERVICE_PORT", "443"],
    ["CVM_ADMISSION_SERVICE_PORT_HTTPS", "443"],
    ["CVM_ADMISSION_PORT", "tcp://10.0.0.1:443"],
    ["CVM_ADMISSION_PORT", "udp://[fd00::1]:53"],
    ["CVM_ADMISSION_PORT_443_TCP", "tcp://10.0.0.1:443"],
    ["CVM_ADMISSION_PORT_443_TCP_PROTO", "tcp"],
    ["CVM_ADMISSION_PORT_443_TCP_PORT", "443"],
    ["CVM_ADMISSION_PORT_443_TCP_ADDR", "10.0.0.1"],
    ["CVM_ADMISSION_X_PORT_53_SCTP_ADDR", "fd00::1"],
  ])("takes %s=%s for a service link", (name, value) => {
    expect(isServiceLinkVariable(name, value)).toBe(true);
  });

  it.each([
    // The suffix alone is not enough: the value must have the kubelet's form for that suffix.
    ["CVM_ADMISSION_SERVER_PORT", "9443"],
    ["CVM_ADMISSION_SERVICE_HOST", "cvm-admission.svc"],
    ["CVM_ADMISSION_SERVICE_PORT", "https"],
    ["CVM_ADMISSION_SERVICE_PORT", "0"],
    ["CVM_ADMISSION_PORT", "10.0.0.1:443"],
    ["CVM_ADMISSION_PORT", "http://10.0.0.1:443"],
    ["CVM_ADMISSION_PORT", "tcp://host:443"],
    ["CVM_ADMISSION_PORT", "tcp://10.0.0.1:70000"],
    ["CVM_ADMISSION_PORT_443_TCP", "tcp://10.0.0.1:8443"],
    ["CVM_ADMISSION_PORT_443_TCP", "udp://10.0.0.1:443"],
    ["CVM_ADMISSION_PORT_443_TCP_PROTO", "udp"],
    ["CVM_ADMISSION_PORT_443_TCP_PORT", "444"],
    ["CVM_ADMISSION_PORT_443_TCP_ADDR", "10.0.0"],
    ["CVM_ADMISSION_ISTIO_POLICY", "10.0.0.1"],
  ])("takes %s=%s for a setting", (name, value) => {
    expect(isServiceLinkVariable(name, value)).toBe(false);
  });

  it("still stops on a typo of ours, and on a setting whose value only looks like a link", () => {
    expect(() => loadConfig({ env: { CVM_ADMISSION_ISTIO_POLICYS: "warn" } })).toThrow(
      /CVM_ADMISSION_ISTIO_POLICYS: unknown setting/,
    );
    // A service-link suffix with a value the kubelet would never write there is a setting.
    expect(() => loadConfig({ env: { CVM_ADMISSION_SERVICE_PORT: "https" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { CVM_ADMISSION_PORT: "8443" } })).toThrow(
      /CVM_ADMISSION_PORT: unknown setting/,
    );
    expect(loadConfig({ env: { CVM_ADMISSION_SERVER_PORT: "9443" } }).server.port).toBe(9443);
  });
});
