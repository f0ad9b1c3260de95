// The Helm chart as a new user installs it: default values and one value set per feature, every
// manifest checked against the strict Kubernetes schemas (CRD kinds for shape), the webhook
// configurations asserted field by field, and renders that repeat exactly.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { defaultConfig, loadConfig } from "../../src/config/load.js";
import { hasSchema, schemaErrors } from "../support/k8s-schema.js";
import {
  CHART_DIR,
  findRenderer,
  render,
  renderError,
  renderText,
  type Manifest,
  type RenderOptions,
  type Renderer,
} from "./render.js";
import { buildValuesSchema, USER_CONFIG_KEYS } from "./values-schema.js";

const found = findRenderer();
const renderer = "missing" in found ? undefined : (found as Renderer);
console.info(
  renderer
    ? `chart tests render with ${renderer.name}`
    : `chart render tests SKIPPED: ${(found as { missing: string }).missing}`,
);

const CA_BUNDLE = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString(
  "base64",
);

const VALUE_SETS: Record<string, RenderOptions> = {
  defaults: {},
  "certManager with a chart-made CA": { values: { "certificates.mode": "certManager" } },
  "certManager with a ClusterIssuer": {
    values: {
      "certificates.mode": "certManager",
      "certificates.certManager.issuerRef": {
        name: "corp-ca",
        kind: "ClusterIssuer",
        group: "cert-manager.io",
      },
    },
  },
  existingSecret: {
    values: {
      "certificates.mode": "existingSecret",
      "certificates.existingSecret": { name: "my-webhook-tls", caBundle: CA_BUNDLE },
    },
  },
  "node labels off": { values: { "config.nodes.labels": false } },
  "GPU passthrough and a cluster extra-CA ConfigMap": {
    values: {
      "config.supervisor.gpu.allowed": true,
      "config.supervisor.gpu.hostLibraryDir": "/usr/lib64",
      "config.supervisor.gpu.resourceNames": ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"],
      "config.supervisor.extraCaConfigMap": { default: "corp-ca", allowed: false },
    },
  },
  "NetworkPolicy and ServiceMonitor on": {
    values: {
      "networkPolicy.enabled": true,
      "networkPolicy.from": [{ ipBlock: { cidr: "10.0.0.0/8" } }],
      "serviceMonitor.enabled": true,
      "serviceMonitor.labels": { release: "prometheus" },
    },
  },
  "replicas 1": { values: { replicaCount: 1 } },
  "another release name and namespace, extra exclusions": {
    release: "hooks",
    namespace: "platform",
    values: {
      "webhook.excludedNamespaces": ["gitops", "kube-system"],
      "config.labels.podOptIn": "example.com/cvm",
    },
  },
};

const find = (manifests: Manifest[], kind: string, name?: string): Manifest => {
  const hit = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (!hit)
    throw new Error(
      `no ${kind}${name ? ` ${name}` : ""} rendered (have: ${manifests.map((m) => m.kind).join(", ")})`,
    );
  return hit;
};
const kinds = (manifests: Manifest[]) => manifests.map((m) => m.kind);

/** Shape checks for the CRD kinds, which have no strict schema here. */
function crdShapeErrors(m: Manifest): string[] {
  const spec = m["spec"] as Record<string, unknown> | undefined;
  const errors: string[] = [];
  const need = (ok: unknown, what: string) =>
    void (ok ? undefined : errors.push(`${m.kind} ${m.metadata.name}: ${what}`));
  need(typeof m.metadata.name === "string" && m.metadata.name.length > 0, "metadata.name");
  need(spec && typeof spec === "object", "spec");
  if (!spec) return errors;
  switch (`${m.apiVersion}/${m.kind}`) {
    case "cert-manager.io/v1/Certificate": {
      const ref = spec["issuerRef"] as Record<string, unknown> | undefined;
      need(typeof spec["secretName"] === "string", "spec.secretName");
      need(
        ref && typeof ref["name"] === "string" && ["Issuer", "ClusterIssuer"].includes(String(ref["kind"])),
        "spec.issuerRef name/kind",
      );
      need(
        spec["isCA"] === true || (Array.isArray(spec["dnsNames"]) && spec["dnsNames"].length > 0),
        "spec.dnsNames (leaf) or isCA",
      );
      const key = spec["privateKey"] as Record<string, unknown> | undefined;
      need(key?.["algorithm"] === "RSA" && key["size"] === 2048, "spec.privateKey RSA 2048");
      break;
    }
    case "cert-manager.io/v1/Issuer":
      need(
        Object.keys(spec).length === 1 && ("selfSigned" in spec || "ca" in spec),
        "spec has exactly one of selfSigned, ca",
      );
      break;
    case "monitoring.coreos.com/v1/ServiceMonitor": {
      const endpoints = spec["endpoints"] as Record<string, unknown>[] | undefined;
      need(Array.isArray(endpoints) && endpoints.length > 0, "spec.endpoints");
      need(spec["selector"] && typeof spec["selector"] === "object", "spec.selector");
      break;
    }
    default:
      errors.push(`unexpected kind without a schema: ${m.apiVersion}/${m.kind}`);
  }
  return errors;
}

const CLUSTER_SCOPED = new Set([
  "ClusterRole",
  "ClusterRoleBinding",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
]);

describe.skipIf(!renderer)(`chart rendered with ${renderer?.name ?? "(no renderer)"}`, () => {
  const r = renderer!;

  describe.each(Object.entries(VALUE_SETS))("value set: %s", (_name, options) => {
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = render(r, options);
    });
    const namespace = options.namespace ?? "cvm-system";

    it("every manifest passes the strict schema (CRD kinds: shape)", () => {
      expect(manifests.length).toBeGreaterThan(8);
      for (const m of manifests) {
        const errors = hasSchema(m.apiVersion, m.kind) ? schemaErrors(m) : crdShapeErrors(m);
        expect(errors, `${m.kind}/${m.metadata.name}`).toEqual([]);
      }
    });

    it("namespaced objects live in the release namespace; names are unique per kind", () => {
      for (const m of manifests) {
        if (CLUSTER_SCOPED.has(m.kind)) expect(m.metadata.namespace).toBeUndefined();
        else expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBe(namespace);
        expect(m.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
      }
      const ids = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("renders the same manifests twice (no generated secrets in this chart)", () => {
      expect(renderText(r, options)).toBe(renderText(r, options));
    });

    it("renders a config the app loads, with the chart-managed keys set", () => {
      const configMap = find(manifests, "ConfigMap");
      const dir = mkdtempSync(join(tmpdir(), "cvm-chart-"));
      try {
        const file = join(dir, "config.yaml");
        writeFileSync(file, (configMap["data"] as Record<string, string>)["config.yaml"]!);
        const config = loadConfig({ file, env: {} });
        const service = find(manifests, "Service");
        expect(config.server).toMatchObject({
          port: 8443,
          certsDir: "/etc/cvm-admission/tls",
          drainDelaySeconds: 5,
          maxConnectionsPerClient: 256,
        });
        expect(config.certificates).toMatchObject({
          serviceName: service.metadata.name,
          namespace,
          webhookConfigurationName: "cvm-admission",
        });
        expect(config.leaderElection.namespace).toBe(namespace);
        // Every config.* value of the set reaches the app as it was given.
        for (const [key, value] of Object.entries(options.values ?? {})) {
          if (!key.startsWith("config.")) continue;
          const path = key.slice("config.".length).split(".");
          const got = path.reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], config);
          expect(got, key).toEqual(value);
        }
        const role = find(manifests, "Role");
        const leaseRule = (role["rules"] as { resources: string[]; resourceNames?: string[] }[]).find(
          (rule) => rule.resources.includes("leases") && rule.resourceNames,
        );
        expect(leaseRule?.resourceNames).toEqual([config.leaderElection.leaseName]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("webhook configurations (defaults)", () => {
    type Webhook = Record<string, unknown> & {
      rules: unknown[];
      namespaceSelector: Record<string, unknown>;
      clientConfig: Record<string, unknown>;
    };
    let mutating: Manifest,
      validating: Manifest,
      mutatingHook: Webhook,
      validatingHook: Webhook,
      statusHook: Webhook;
    beforeAll(() => {
      const manifests = render(r);
      mutating = find(manifests, "MutatingWebhookConfiguration");
      validating = find(manifests, "ValidatingWebhookConfiguration");
      [mutatingHook] = mutating["webhooks"] as [Webhook];
      [validatingHook, statusHook] = validating["webhooks"] as [Webhook, Webhook];
    });
    const exclusion = {
      key: "kubernetes.io/metadata.name",
      operator: "NotIn",
      values: ["kube-system", "cvm-system"],
    };

    it("both are named cvm-admission, fail closed, NoneOnDryRun, v1 reviews", () => {
      expect(mutating.metadata.name).toBe("cvm-admission");
      expect(validating.metadata.name).toBe("cvm-admission");
      expect(mutating["webhooks"]).toHaveLength(1);
      expect(validating["webhooks"]).toHaveLength(2);
      for (const hook of [mutatingHook, validatingHook, statusHook]) {
        expect(hook).toMatchObject({
          failurePolicy: "Fail",
          sideEffects: "NoneOnDryRun",
          admissionReviewVersions: ["v1"],
          matchPolicy: "Equivalent",
        });
        expect(hook.clientConfig["caBundle"]).toBeUndefined(); // selfManaged: the leader injects it
      }
    });

    it("mutating: pods CREATE, pod label, kube-system and the release namespace excluded, IfNeeded, 5 s", () => {
      expect(mutatingHook).toMatchObject({
        name: "pods.mutate.cvm.dev",
        reinvocationPolicy: "IfNeeded",
        timeoutSeconds: 5,
        clientConfig: {
          service: { name: "cvm-admission", namespace: "cvm-system", path: "/mutate", port: 443 },
        },
        objectSelector: { matchLabels: { "cvm.dev/enabled": "true" } },
        namespaceSelector: { matchExpressions: [exclusion] },
      });
      expect(mutatingHook.rules).toEqual([
        {
          apiGroups: [""],
          apiVersions: ["v1"],
          operations: ["CREATE"],
          resources: ["pods"],
          scope: "Namespaced",
        },
      ]);
      expect(mutatingHook.namespaceSelector["matchLabels"]).toBeUndefined();
    });

    it("validating: binding, updates, subresources and CONNECT; namespace opt-in; no objectSelector; 3 s", () => {
      expect(validatingHook).toMatchObject({
        name: "pods.validate.cvm.dev",
        timeoutSeconds: 3,
        clientConfig: {
          service: { name: "cvm-admission", namespace: "cvm-system", path: "/validate", port: 443 },
        },
        namespaceSelector: { matchLabels: { "cvm.dev/enabled": "true" }, matchExpressions: [exclusion] },
      });
      // objectSelector never matches a Binding or PodExecOptions (no labels): it must be absent.
      expect(validatingHook["objectSelector"]).toBeUndefined();
      expect(validatingHook["reinvocationPolicy"]).toBeUndefined();
      const byOperation = Object.fromEntries(
        (validatingHook.rules as { operations: string[]; resources: string[]; apiGroups: string[] }[]).map(
          (rule) => {
            expect(rule.apiGroups).toEqual([""]);
            return [rule.operations.join(","), [...rule.resources].sort()];
          },
        ),
      );
      expect(byOperation).toEqual({
        CREATE: ["bindings", "pods", "pods/binding"],
        UPDATE: ["pods", "pods/ephemeralcontainers", "pods/resize"],
        CONNECT: ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
      });
    });

    it("validating pods/status only when labels or annotations change, in opted-in namespaces", () => {
      expect(statusHook).toMatchObject({
        name: "pods-status.validate.cvm.dev",
        timeoutSeconds: 3,
        namespaceSelector: validatingHook.namespaceSelector,
        rules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["UPDATE"],
            resources: ["pods/status"],
            scope: "Namespaced",
          },
        ],
      });
      const [condition] = statusHook["matchConditions"] as [{ name: string; expression: string }];
      expect(condition.expression).toMatch(/object\.metadata\.labels.*!=.*oldObject\.metadata\.labels/s);
      expect(condition.expression).toMatch(
        /object\.metadata\.annotations.*!=.*oldObject\.metadata\.annotations/s,
      );
    });

    it("need Kubernetes 1.28+, where matchConditions is on by default (beta 1.28-1.29, GA 1.30)", () => {
      // On 1.27 the field is alpha and dropped unless its gate is on: the pods/status webhook
      // would then receive every status update the kubelets write.
      expect(renderError(r, { kubeVersion: "1.27.16" })).toMatch(/kubeVersion|not compatible/i);
      for (const kubeVersion of ["1.28.0", "v1.28.3-gke.1286000", "1.30.0"]) {
        const hook = find(render(r, { kubeVersion }), "ValidatingWebhookConfiguration")["webhooks"] as {
          name: string;
          matchConditions?: unknown[];
        }[];
        expect(hook.find((h) => h.name === "pods-status.validate.cvm.dev")?.matchConditions).toHaveLength(1);
      }
    });

    it("keep their fixed names and exclude the release namespace under another release", () => {
      const other = render(r, VALUE_SETS["another release name and namespace, extra exclusions"]);
      const hooks = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"].map((kind) =>
        find(other, kind),
      );
      for (const config of hooks) {
        expect(config.metadata.name).toBe("cvm-admission");
        const [hook] = config["webhooks"] as Webhook[];
        expect(hook!.clientConfig["service"]).toMatchObject({
          name: "hooks-cvm-admission",
          namespace: "platform",
        });
        expect(hook!.namespaceSelector["matchExpressions"]).toEqual([
          { ...exclusion, values: ["kube-system", "platform", "gitops"] },
        ]);
      }
      const [mutatingOther] = hooks[0]!["webhooks"] as Webhook[];
      expect(mutatingOther!["objectSelector"]).toEqual({ matchLabels: { "example.com/cvm": "true" } });
    });

    it("carry cert-manager's inject-ca-from (certManager) or the operator's caBundle (existingSecret)", () => {
      const viaCertManager = render(r, VALUE_SETS["certManager with a chart-made CA"]);
      const certificate = find(viaCertManager, "Certificate", "cvm-admission");
      for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
        expect(find(viaCertManager, kind).metadata.annotations).toEqual({
          "cert-manager.io/inject-ca-from": `cvm-system/${certificate.metadata.name}`,
        });
      }
      const viaSecret = render(r, VALUE_SETS["existingSecret"]);
      for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
        const [hook] = find(viaSecret, kind)["webhooks"] as Webhook[];
        expect(hook!.clientConfig["caBundle"]).toBe(CA_BUNDLE);
        expect(find(viaSecret, kind).metadata.annotations).toBeUndefined();
      }
    });
  });

  describe("certificate modes", () => {
    const tlsVolume = (manifests: Manifest[]) => {
      const spec = (
        find(manifests, "Deployment")["spec"] as {
          template: {
            spec: { volumes: { name: string; secret?: { secretName: string; optional: boolean } }[] };
          };
        }
      ).template.spec;
      return spec.volumes.find((v) => v.name === "tls")!.secret!;
    };

    it("selfManaged: the app owns the Secret (optional volume), may write it and patch caBundle; no cert-manager objects", () => {
      const manifests = render(r);
      expect(tlsVolume(manifests)).toMatchObject({ secretName: "cvm-admission-tls", optional: true });
      expect(kinds(manifests)).not.toContain("Certificate");
      expect(kinds(manifests)).not.toContain("Secret");
      const role = find(manifests, "Role")["rules"] as {
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[];
      expect(role).toContainEqual({
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: ["cvm-admission-tls"],
        verbs: ["get", "update", "patch"],
      });
      const cluster = find(manifests, "ClusterRole")["rules"] as {
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[];
      expect(cluster).toContainEqual({
        apiGroups: ["admissionregistration.k8s.io"],
        resources: ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
        resourceNames: ["cvm-admission"],
        verbs: ["get", "patch"],
      });
    });

    it("certManager: a CA chain when no issuer is given, the serving Certificate for the Service names, no Secret or webhook RBAC", () => {
      const manifests = render(r, VALUE_SETS["certManager with a chart-made CA"]);
      const serving = find(manifests, "Certificate", "cvm-admission")["spec"] as Record<string, unknown>;
      expect(serving).toMatchObject({
        secretName: "cvm-admission-tls",
        dnsNames: [
          "cvm-admission",
          "cvm-admission.cvm-system",
          "cvm-admission.cvm-system.svc",
          "cvm-admission.cvm-system.svc.cluster.local",
        ],
        issuerRef: { name: "cvm-admission-ca", kind: "Issuer" },
        duration: "8760h",
        renewBefore: "2920h",
      });
      expect(find(manifests, "Certificate", "cvm-admission-ca")["spec"]).toMatchObject({
        isCA: true,
        issuerRef: { name: "cvm-admission-selfsigned" },
      });
      expect(
        manifests
          .filter((m) => m.kind === "Issuer")
          .map((m) => m.metadata.name)
          .sort(),
      ).toEqual(["cvm-admission-ca", "cvm-admission-selfsigned"]);
      expect(tlsVolume(manifests)).toMatchObject({ secretName: "cvm-admission-tls", optional: true });
      const rules = JSON.stringify([
        find(manifests, "Role")["rules"],
        find(manifests, "ClusterRole")["rules"],
      ]);
      expect(rules).not.toContain("secrets");
      expect(rules).not.toContain("webhookconfigurations");

      const external = render(r, VALUE_SETS["certManager with a ClusterIssuer"]);
      expect(kinds(external)).not.toContain("Issuer");
      expect(find(external, "Certificate")["spec"]).toMatchObject({
        issuerRef: { name: "corp-ca", kind: "ClusterIssuer" },
      });
    });

    it("existingSecret: mounts the operator's Secret (required volume) and refuses to render without name and caBundle", () => {
      const manifests = render(r, VALUE_SETS["existingSecret"]);
      expect(tlsVolume(manifests)).toMatchObject({ secretName: "my-webhook-tls", optional: false });
      expect(
        renderError(r, {
          values: { "certificates.mode": "existingSecret", "certificates.existingSecret.name": "x" },
        }),
      ).toMatch(/certificates.existingSecret.caBundle .* is required/);
      expect(
        renderError(r, {
          values: {
            "certificates.mode": "existingSecret",
            "certificates.existingSecret.caBundle": CA_BUNDLE,
          },
        }),
      ).toMatch(/certificates.existingSecret.name is required/);
    });
  });

  describe("workload, RBAC and options", () => {
    type Container = Record<string, unknown> & { securityContext: Record<string, unknown>; args: string[] };
    type PodSpec = Record<string, unknown> & { containers: [Container] };
    let manifests: Manifest[], deployment: Manifest, podSpec: PodSpec, container: Container;
    beforeAll(() => {
      manifests = render(r);
      deployment = find(manifests, "Deployment");
      podSpec = (deployment["spec"] as { template: { spec: PodSpec } }).template.spec;
      container = podSpec.containers[0];
    });

    it("runs `serve --config` on 8443 with HTTPS probes on /healthz and /readyz", () => {
      expect(container.args).toEqual(["serve", "--config", "/etc/cvm-admission/config.yaml"]);
      expect(container["command"]).toEqual(["node", "/app/dist/cli/main.js"]);
      expect(container["ports"]).toEqual([{ name: "https", containerPort: 8443, protocol: "TCP" }]);
      expect(container["readinessProbe"]).toMatchObject({
        httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" },
      });
      expect(container["livenessProbe"]).toMatchObject({
        httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" },
      });
      expect(find(manifests, "Service")["spec"]).toMatchObject({
        ports: [{ name: "https", port: 443, targetPort: "https" }],
      });
    });

    it("gives SIGTERM the drain delay, the 20 s drain and 5 s to exit, and refuses a shorter grace period; passes the per-client connection bound", () => {
      expect(podSpec["terminationGracePeriodSeconds"]).toBe(30);
      const longer = render(r, {
        values: { drainDelaySeconds: 15, terminationGracePeriodSeconds: 40, maxConnectionsPerClient: 1000 },
      });
      const config = parseYaml(
        (find(longer, "ConfigMap")["data"] as Record<string, string>)["config.yaml"]!,
      ) as { server: { drainDelaySeconds: number; maxConnectionsPerClient: number } };
      expect(config.server.drainDelaySeconds).toBe(15);
      expect(config.server.maxConnectionsPerClient).toBe(1000);
      expect(renderError(r, { values: { drainDelaySeconds: 15 } })).toMatch(
        /terminationGracePeriodSeconds must be at least drainDelaySeconds \+ 25 = 40/,
      );
    });

    it("refuses a GPU library directory that is not an absolute path, and native resources as GPUs", () => {
      expect(renderError(r, { values: { "config.supervisor.gpu.hostLibraryDir": "usr/lib" } })).toMatch(
        /hostLibraryDir/,
      );
      expect(renderError(r, { values: { "config.supervisor.gpu.resourceNames": ["cpu"] } })).toMatch(
        /resourceNames/,
      );
    });

    it("is hardened: restricted securityContext, read-only root, resources, priority class, spread, 2 replicas with a PDB", () => {
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(podSpec["securityContext"]).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container["resources"]).toMatchObject({
        requests: { cpu: "100m", memory: "256Mi" },
        limits: { memory: "512Mi" },
      });
      expect(podSpec["priorityClassName"]).toBe("system-cluster-critical");
      expect(JSON.stringify(podSpec["affinity"])).toContain("podAntiAffinity");
      expect(podSpec["topologySpreadConstraints"]).toHaveLength(2);
      expect((deployment["spec"] as { replicas: number }).replicas).toBe(2);
      expect(find(manifests, "PodDisruptionBudget")["spec"]).toMatchObject({ minAvailable: 1 });
      expect(kinds(render(r, VALUE_SETS["replicas 1"]))).not.toContain("PodDisruptionBudget");
    });

    it("rolls the pods when the config changes (checksum annotation), and only then", () => {
      const checksum = (m: Manifest[]) =>
        (find(m, "Deployment")["spec"] as { template: { metadata: { annotations: Record<string, string> } } })
          .template.metadata.annotations["checksum/config"];
      const base = checksum(manifests);
      expect(base).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(render(r, { values: { replicaCount: 3 } }))).toBe(base);
      expect(checksum(render(r, { values: { "config.istio.policy": "warn" } }))).not.toBe(base);
    });

    it("grants least privilege: no wildcards, node patch only with node labels, secrets only in the release namespace", () => {
      const all = manifests.filter((m) => m.kind === "ClusterRole" || m.kind === "Role");
      for (const role of all) {
        for (const rule of role["rules"] as { verbs: string[]; resources: string[]; apiGroups: string[] }[]) {
          expect([...rule.verbs, ...rule.resources, ...rule.apiGroups]).not.toContain("*");
          expect(rule.verbs).not.toContain("delete");
        }
      }
      const nodeVerbs = (m: Manifest[]) =>
        (find(m, "ClusterRole")["rules"] as { resources: string[]; verbs: string[] }[]).find((rule) =>
          rule.resources.includes("nodes"),
        )!.verbs;
      expect(nodeVerbs(manifests)).toEqual(["get", "list", "watch", "patch"]);
      expect(nodeVerbs(render(r, VALUE_SETS["node labels off"]))).toEqual(["get", "list", "watch"]);
      expect(JSON.stringify(find(manifests, "ClusterRole")["rules"])).not.toContain("secrets");
      const clusterResources = (find(manifests, "ClusterRole")["rules"] as { resources: string[] }[]).flatMap(
        (rule) => rule.resources,
      );
      expect(clusterResources.sort()).toEqual([
        "events",
        "mutatingwebhookconfigurations",
        "namespaces",
        "nodes",
        "pods",
        "validatingwebhookconfigurations",
      ]);
    });

    it("renders the optional NetworkPolicy (port 8443) and ServiceMonitor (verifying the CA) only when asked", () => {
      expect(kinds(manifests)).not.toContain("NetworkPolicy");
      expect(kinds(manifests)).not.toContain("ServiceMonitor");
      const withBoth = render(r, VALUE_SETS["NetworkPolicy and ServiceMonitor on"]);
      expect(find(withBoth, "NetworkPolicy")["spec"]).toMatchObject({
        policyTypes: ["Ingress"],
        ingress: [{ ports: [{ protocol: "TCP", port: 8443 }], from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }],
      });
      const monitor = find(withBoth, "ServiceMonitor");
      expect(monitor.metadata.labels?.["release"]).toBe("prometheus");
      expect(monitor["spec"]).toMatchObject({
        endpoints: [
          {
            port: "https",
            scheme: "https",
            path: "/metrics",
            tlsConfig: {
              serverName: "cvm-admission.cvm-system.svc",
              ca: { secret: { name: "cvm-admission-tls", key: "ca.crt" } },
            },
          },
        ],
      });
    });

    it("refuses values outside values.schema.json, naming the key", () => {
      expect(renderError(r, { values: { "certificates.mode": "manual" } })).toMatch(/certificates\/mode/);
      expect(renderError(r, { values: { "config.istio.policy": "ignore" } })).toMatch(
        /config\/istio\/policy/,
      );
      expect(renderError(r, { values: { "webhook.mutating.timeoutSeconds": 31 } })).toMatch(
        /webhook\/mutating\/timeoutSeconds/,
      );
      expect(renderError(r, { values: { replicas: 2 } })).toMatch(/replicas/);
    });
  });
});

describe("chart files", () => {
  const valuesSchemaFile = join(CHART_DIR, "values.schema.json");

  it("values.schema.json is the one built from the app's config schema", () => {
    const built = buildValuesSchema();
    if (process.env["UPDATE_CHART_SCHEMA"] === "1")
      writeFileSync(valuesSchemaFile, JSON.stringify(built, null, 2) + "\n");
    const stale =
      "values.schema.json is stale: run UPDATE_CHART_SCHEMA=1 npx vitest run test/chart, then prettier --write";
    expect(JSON.parse(readFileSync(valuesSchemaFile, "utf8")), stale).toEqual(built);
  });

  it("values.yaml's config holds exactly the user keys, with the app's defaults", () => {
    const values = parseYaml(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(Object.keys(values.config).sort()).toEqual([...USER_CONFIG_KEYS].sort());
    const defaults = defaultConfig() as unknown as Record<string, unknown>;
    for (const key of USER_CONFIG_KEYS) expect(values.config[key], `config.${key}`).toEqual(defaults[key]);
  });

  it("the README's values table lists every leaf value of values.yaml", () => {
    const readme = readFileSync(join(CHART_DIR, "README.md"), "utf8");
    const values = parseYaml(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as Record<string, unknown>;
    const leaves = (node: unknown, path: string): string[] =>
      node !== null &&
      typeof node === "object" &&
      !Array.isArray(node) &&
      Object.keys(node).length > 0 &&
      path !== "resources"
        ? Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
            leaves(v, path ? `${path}.${k}` : k),
          )
        : [path];
    for (const leaf of leaves(values, "")) expect(readme, leaf).toContain(`\`${leaf}\``);
  });
});
