// Generated pods that the Kubernetes schema accepts, in shapes a workspace pod takes: one to
// three containers with commands, env (values with $(VAR) references, valueFrom), ports,
// resources, mounts of the pod's volumes; labels that opt in to CVM or not.

import fc from "fast-check";

const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/);
const envName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("$(HOME)/bin", "$$(literal)", "a'b\"c", "line1\nline2", "", "--flag=$(PORT)"),
);
const image = fc.constantFrom(
  "ubuntu:24.04",
  "ghcr.io/acme/devbox:2024.11.3",
  "codercom/enterprise-base:ubuntu",
  "nginx@sha256:" + "a".repeat(64),
);
const quantityCpu = fc.constantFrom("100m", "250m", "1", "2", "500m");
const quantityMemory = fc.constantFrom("64Mi", "512Mi", "1Gi", "2G", "128974848");

const envVar = fc.oneof(
  fc.record({ name: envName, value: text }),
  fc.record({
    name: envName,
    valueFrom: fc.oneof(
      fc.record({
        fieldRef: fc.record({
          fieldPath: fc.constantFrom("metadata.name", "metadata.namespace", "status.podIP"),
        }),
      }),
      fc.record({ secretKeyRef: fc.record({ name: dnsLabel, key: fc.constantFrom("token", "password") }) }),
      fc.record({ configMapKeyRef: fc.record({ name: dnsLabel, key: fc.constantFrom("url", "mode") }) }),
    ),
  }),
);

const volume = fc.oneof(
  fc.record({ name: dnsLabel, emptyDir: fc.constant({}) }),
  fc.record({ name: dnsLabel, configMap: fc.record({ name: dnsLabel }) }),
  fc.record({ name: dnsLabel, secret: fc.record({ secretName: dnsLabel }) }),
  fc.record({ name: dnsLabel, persistentVolumeClaim: fc.record({ claimName: dnsLabel }) }),
);

function container(volumeNames: string[]) {
  return fc.record(
    {
      name: dnsLabel,
      image,
      command: fc.array(text, { maxLength: 3 }),
      args: fc.array(text, { maxLength: 3 }),
      workingDir: fc.constantFrom("/home/coder", "/workspace"),
      env: fc.uniqueArray(envVar, { maxLength: 8, selector: (e) => e.name }),
      ports: fc.uniqueArray(
        fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), protocol: fc.constant("TCP") }),
        {
          maxLength: 2,
          selector: (p) => p.containerPort,
        },
      ),
      resources: fc.record(
        {
          requests: fc.record({ cpu: quantityCpu, memory: quantityMemory }, { requiredKeys: [] }),
          limits: fc.record({ cpu: quantityCpu, memory: quantityMemory }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      volumeMounts: fc.subarray(volumeNames).chain((names) =>
        fc.tuple(
          ...names.map((name) =>
            fc.record({
              name: fc.constant(name),
              mountPath: fc.stringMatching(/^\/[a-z]{1,8}(\/[a-z]{1,8})?$/),
            }),
          ),
        ),
      ),
    },
    { requiredKeys: ["name", "image"] },
  );
}

const labels = fc.dictionary(
  fc.stringMatching(/^[a-z]([a-z0-9.-]{0,10}\/)?[a-z][a-z0-9]{0,8}$/),
  fc.stringMatching(/^[a-z0-9]{0,10}$/),
  { maxKeys: 3 },
);

export const validPod = fc
  .record({
    name: dnsLabel,
    namespace: fc.constantFrom("coder-workspaces", "default", "plain"),
    optIn: fc.boolean(),
    labels,
    annotations: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}\/[a-z]{1,8}$/), text, { maxKeys: 2 }),
    volumes: fc.uniqueArray(volume, { maxLength: 3, selector: (v) => v.name }),
  })
  .chain((meta) =>
    fc
      .uniqueArray(container(meta.volumes.map((v) => v.name)), {
        minLength: 1,
        maxLength: 3,
        selector: (c) => c.name,
      })
      .map((containers) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: meta.name,
          namespace: meta.namespace,
          labels: { ...meta.labels, ...(meta.optIn ? { "cvm.dev/enabled": "true" } : {}) },
          annotations: meta.annotations,
        },
        spec: {
          containers: containers.map((c) => ({ ...c, volumeMounts: uniqueMountPaths(c.volumeMounts ?? []) })),
          volumes: meta.volumes,
          restartPolicy: "Always",
        },
      })),
  );

/** Two mounts on one path are rejected by the apiserver's validation: keep the first. */
function uniqueMountPaths<T extends { mountPath: string }>(mounts: T[]): T[] {
  const seen = new Set<string>();
  return mounts.filter((m) => !seen.has(m.mountPath) && seen.add(m.mountPath));
}
