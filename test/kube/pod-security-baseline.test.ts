// The Pod Security baseline checks against Pod Security admission's own reasons and details
// (k8s.io/pod-security-admission/policy check_*.go and their _test.go expectations), control by
// control and version by version.

import type { V1Container, V1PodSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { baselineMinor } from "../../src/config/baseline-version.js";
import {
  baselineViolations,
  describeViolations,
  NEWEST_BASELINE_MINOR,
  type PodParts,
} from "../../src/kube/pod-security-baseline.js";

function pod(spec: Partial<V1PodSpec>, annotations?: Record<string, string>): PodParts {
  return { metadata: { annotations }, spec: { containers: [{ name: "main", image: "app:1" }], ...spec } };
}

function container(name: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: "app:1", ...extra };
}

function message(p: PodParts, minor = NEWEST_BASELINE_MINOR): string {
  return describeViolations(baselineViolations(p, minor));
}

describe("Pod Security baseline", () => {
  it("passes a pod that sets nothing, and every allowed value", () => {
    const allowed = pod({
      securityContext: {
        seccompProfile: { type: "RuntimeDefault" },
        appArmorProfile: { type: "Localhost", localhostProfile: "k8s-apparmor" },
        seLinuxOptions: { type: "container_t", level: "s0:c1,c2" },
        sysctls: [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" }],
      },
      containers: [
        container("main", {
          ports: [{ containerPort: 8080, hostPort: 0 }],
          securityContext: {
            capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL"] },
            privileged: false,
            procMount: "Default",
            seccompProfile: { type: "Localhost", localhostProfile: "p.json" },
          },
          readinessProbe: { httpGet: { port: 8080, path: "/" } },
        }),
      ],
    }, { "container.apparmor.security.beta.kubernetes.io/main": "runtime/default" }); // prettier-ignore
    expect(baselineViolations(allowed)).toEqual([]);
  });

  it.each([
    ["privileged", pod({ containers: [container("a", { securityContext: { privileged: true } })], initContainers: [container("i", { securityContext: { privileged: true } })] }), 'privileged (containers "i", "a" must not set securityContext.privileged=true)'],
    ["host namespaces", pod({ hostNetwork: true, hostPID: true, hostIPC: true }), "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"],
    ["hostPath volumes", pod({ volumes: [{ name: "root", hostPath: { path: "/" } }, { name: "sock", hostPath: { path: "/run/containerd.sock" } }] }), 'hostPath volumes (volumes "root", "sock")'],
    ["host ports", pod({ containers: [container("web", { ports: [{ containerPort: 80, hostPort: 80 }, { containerPort: 443, hostPort: 443 }] })] }), 'hostPort (container "web" uses hostPorts 443, 80)'],
    ["capabilities, as written", pod({ containers: [container("a", { securityContext: { capabilities: { add: ["SYS_ADMIN", "NET_ADMIN", "CHOWN"] } } }), container("b", { securityContext: { capabilities: { add: ["cap_sys_admin"] } } })] }), 'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN", "cap_sys_admin" in securityContext.capabilities.add)'],
    ["HostProcess", pod({ securityContext: { windowsOptions: { hostProcess: true } }, containers: [container("w", { securityContext: { windowsOptions: { hostProcess: true } } })] }), 'hostProcess (pod and container "w" must not set securityContext.windowsOptions.hostProcess=true)'],
    ["AppArmor field and annotation", pod({ securityContext: { appArmorProfile: { type: "Unconfined" } } }, { "container.apparmor.security.beta.kubernetes.io/main": "unconfined" }), 'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/main="unconfined"")'],
    ["SELinux type, user and role", pod({ securityContext: { seLinuxOptions: { type: "spc_t" } }, containers: [container("m", { securityContext: { seLinuxOptions: { user: "system_u", role: "system_r" } } })] }), 'seLinuxOptions (pod and container "m" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set)'],
    ["/proc mount type", pod({ containers: [container("p", { securityContext: { procMount: "Unmasked" } })] }), 'procMount (container "p" must not set securityContext.procMount to "Unmasked")'],
    ["seccomp", pod({ securityContext: { seccompProfile: { type: "Unconfined" } }, ephemeralContainers: [{ name: "dbg", image: "busybox", securityContext: { seccompProfile: { type: "Unconfined" } } }] }), 'seccompProfile (pod and container "dbg" must not set securityContext.seccompProfile.type to "Unconfined")'],
    ["sysctls", pod({ securityContext: { sysctls: [{ name: "kernel.msgmax", value: "1" }, { name: "net.ipv4.tcp_syncookies", value: "1" }, { name: "vm.swappiness", value: "1" }] } }), "forbidden sysctls (kernel.msgmax, vm.swappiness)"],
    ["probe or lifecycle host", pod({ containers: [container("m", { livenessProbe: { httpGet: { host: "169.254.169.254", port: 80 } }, lifecycle: { preStop: { tcpSocket: { host: "10.0.0.1", port: 22 } } } })] }), 'probe or lifecycle host (container "m" uses probe or lifecycle hosts "10.0.0.1", "169.254.169.254")'],
  ])("names %s as Pod Security does", (_control, p, expected) => {
    expect(message(p)).toBe(expected);
  }); // prettier-ignore

  it("reports every violated control, in Pod Security's order", () => {
    const p = pod({
      hostPID: true,
      volumes: [{ name: "root", hostPath: { path: "/" } }],
      securityContext: { sysctls: [{ name: "kernel.sem", value: "1" }] },
      containers: [
        container("x", { securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } } }),
      ],
    });
    expect(baselineViolations(p).map((v) => v.reason)).toEqual([
      "non-default capabilities",
      "host namespaces",
      "hostPath volumes",
      "privileged",
      "forbidden sysctls",
    ]);
  });

  it("judges ephemeral containers like the others (kubectl debug --profile=sysadmin)", () => {
    const p = pod({ ephemeralContainers: [{ name: "debugger-x", image: "busybox", securityContext: { privileged: true } }] });
    expect(message(p)).toBe('privileged (container "debugger-x" must not set securityContext.privileged=true)');
  }); // prettier-ignore

  describe("by version", () => {
    const sysctl = (name: string) => pod({ securityContext: { sysctls: [{ name, value: "1" }] } });
    it.each([
      ["net.ipv4.ip_local_reserved_ports", 26, 27],
      ["net.ipv4.tcp_keepalive_time", 28, 29],
      ["net.ipv4.tcp_wmem", 31, 32],
    ])("allows sysctl %s from 1.%i+1 on", (name, before, from) => {
      expect(message(sysctl(name), before)).toBe(`forbidden sysctls (${name})`);
      expect(message(sysctl(name), from)).toBe("");
    });

    it("does not know sysctls newer than 1.35", () => {
      expect(message(sysctl("net.ipv4.tcp_notsent_lowat"))).toBe(
        "forbidden sysctls (net.ipv4.tcp_notsent_lowat)",
      );
    });

    it("allows SELinux type container_engine_t from 1.31", () => {
      const p = pod({ securityContext: { seLinuxOptions: { type: "container_engine_t" } } });
      expect(message(p, 30)).toMatch(/^seLinuxOptions \(pod set forbidden .*type "container_engine_t"\)$/);
      expect(message(p, 31)).toBe("");
    });

    it("allows any /proc mount type in a user namespace from 1.35", () => {
      const p = pod({
        hostUsers: false,
        containers: [container("p", { securityContext: { procMount: "Unmasked" } })],
      });
      expect(message(p, 34)).toMatch(/^procMount/);
      expect(message(p, 35)).toBe("");
    });

    it("checks probe and lifecycle hosts from 1.34", () => {
      const p = pod({
        containers: [container("m", { startupProbe: { tcpSocket: { host: "node", port: 10250 } } })],
      });
      expect(message(p, 33)).toBe("");
      expect(message(p, 34)).toBe(
        'probe or lifecycle host (container "m" uses probe or lifecycle host "node")',
      );
    });

    it("reads seccomp from the annotations before 1.19 and from the fields after", () => {
      const p = pod({ securityContext: { seccompProfile: { type: "Unconfined" } } }, { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" });
      expect(message(p, 18)).toBe('seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
      expect(message(p, 19)).toBe('seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")');
    }); // prettier-ignore

    it("reads a config value: latest is the newest this build knows", () => {
      expect(baselineMinor("latest")).toBe(NEWEST_BASELINE_MINOR);
      expect(NEWEST_BASELINE_MINOR).toBe(35);
      expect(baselineMinor("v1.28")).toBe(28);
    });
  });
});
