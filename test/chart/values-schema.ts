// The chart's values.schema.json, built here so its `config` section is the app's own config
// schema (src/config/schema.ts) and cannot drift from it. chart.test.ts compares the file with
// this; refresh the file with `UPDATE_CHART_SCHEMA=1 npx vitest run test/chart`.

import { CONFIG_SCHEMA } from "../../src/config/schema.js";

/** Config keys the user sets through values.config; the chart sets the others (server, cluster, ...). */
export const USER_CONFIG_KEYS = [
  "form",
  "supervisor",
  "runtimeClass",
  "kernel",
  "nodes",
  "labels",
  "istio",
  "access",
  "logging",
] as const;

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "object",
  additionalProperties: false,
  properties,
  ...extra,
});
const k8sObject = { type: "object" };
const stringMap = { type: "object", additionalProperties: { type: "string" } };
const duration = { type: "string", pattern: "^([0-9]+(\\.[0-9]+)?(h|m|s))+$" };

export function buildValuesSchema(): unknown {
  const config = Object.fromEntries(USER_CONFIG_KEYS.map((key) => [key, CONFIG_SCHEMA.properties[key]]));
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "cvm-admission chart values",
    ...obj({
      replicaCount: { type: "integer", minimum: 1 },
      image: obj(
        {
          repository: { type: "string", minLength: 1 },
          tag: { type: "string" },
          pullPolicy: { enum: ["Always", "IfNotPresent", "Never"] },
          command: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
        },
        { required: ["repository", "pullPolicy", "command"] },
      ),
      imagePullSecrets: {
        type: "array",
        items: obj({ name: { type: "string", minLength: 1 } }, { required: ["name"] }),
      },
      nameOverride: { type: "string" },
      fullnameOverride: { type: "string", maxLength: 63 },
      serviceAccount: obj({ create: { type: "boolean" }, name: { type: "string" }, annotations: stringMap }),
      podAnnotations: stringMap,
      podLabels: stringMap,
      priorityClassName: { type: "string" },
      resources: obj({
        requests: { type: "object", additionalProperties: { type: ["string", "number"] } },
        limits: { type: "object", additionalProperties: { type: ["string", "number"] } },
      }),
      nodeSelector: stringMap,
      tolerations: { type: "array", items: k8sObject },
      affinity: k8sObject,
      topologySpreadConstraints: { type: "array", items: k8sObject },
      podDisruptionBudget: obj({
        enabled: { type: "boolean" },
        minAvailable: { type: ["integer", "string"] },
      }),
      // At least drainDelaySeconds + the drain bound + 5 (the template refuses less).
      terminationGracePeriodSeconds: { type: "integer", minimum: 0 },
      drainDelaySeconds: CONFIG_SCHEMA.properties.server.properties.drainDelaySeconds,
      maxConnectionsPerClient: CONFIG_SCHEMA.properties.server.properties.maxConnectionsPerClient,
      service: obj({ port: { type: "integer", minimum: 1, maximum: 65535 } }),
      webhook: obj({
        excludedNamespaces: {
          type: "array",
          items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 },
        },
        mutating: obj({ timeoutSeconds: { type: "integer", minimum: 1, maximum: 30 } }),
        validating: obj({ timeoutSeconds: { type: "integer", minimum: 1, maximum: 30 } }),
      }),
      certificates: obj({
        mode: { enum: ["selfManaged", "certManager", "existingSecret"] },
        secretName: { type: "string" },
        certManager: obj({
          issuerRef: obj({
            name: { type: "string", minLength: 1 },
            kind: { enum: ["Issuer", "ClusterIssuer"] },
            group: { type: "string" },
          }),
          duration,
          renewBefore: duration,
        }),
        existingSecret: obj({
          name: { type: "string" },
          caBundle: { type: "string", pattern: "^[A-Za-z0-9+/=]*$" },
        }),
      }),
      config: obj(config),
      networkPolicy: obj({ enabled: { type: "boolean" }, from: { type: "array", items: k8sObject } }),
      serviceMonitor: obj({
        enabled: { type: "boolean" },
        interval: duration,
        scrapeTimeout: duration,
        labels: stringMap,
      }),
    }),
  };
}
