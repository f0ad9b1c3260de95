// Properties over many generated pods: determinism, idempotency under re-invocation, the
// derive/transform round trip, schema-valid output, and denial (with reasons) of unsafe pods.

import type { V1Container, V1EnvVar, V1Pod } from "@kubernetes/client-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCvmForm, deriveOriginal } from "../../../src/policies/cvm/derive.js";
import { transformPod } from "../../../src/policies/cvm/transform.js";
import { schemaErrors } from "../../support/k8s-schema.js";
import { expectStrictPatchReproduces } from "./patch.js";
import { asCvmPod, configWith, mutate } from "./support.js";

const envName = fc.oneof(
  fc.constantFrom(
    "PATH",
    "HOME",
    "LD_PRELOAD",
    "http_proxy",
    "DOCKER_HOST",
    "GOMAXPROCS",
    "KUBERNETES_X",
    "CODER_AGENT_URL",
  ),
  fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/).filter((n) => !n.startsWith("CODER_") && !n.startsWith("CVM_")),
);
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("$(PATH)", "$$(HOME)", "a$(GOMAXPROCS)b", "$(", "$", "$x", "$(UNDEFINED)"),
);
const env = fc.uniqueArray(
  fc.record({ name: envName, value: text }).map((e): V1EnvVar => e),
  { selector: (e) => e.name, maxLength: 6 },
);
const mountPath = fc.oneof(
  fc.constantFrom("/home/dev", "/root", "/var/run/secrets/kubernetes.io/serviceaccount", "/data"),
  fc.stringMatching(/^\/[a-z]{1,6}(\/[a-z]{1,6})?$/),
);

const goodPod = fc
  .record({
    command: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
    args: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
    env,
    mounts: fc.uniqueArray(fc.record({ mountPath, readOnly: fc.boolean() }), {
      selector: (m) => m.mountPath,
      maxLength: 4,
    }),
    cpu: fc.option(fc.constantFrom("100m", "1", "1500m", "2.5", "1e3"), { nil: undefined }),
    memory: fc.option(fc.constantFrom("128Mi", "1Gi", "1.5G", "1e9", "100m"), { nil: undefined }),
    runAsUser: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
    workingDir: fc.option(fc.constantFrom("/work", "/a$b"), { nil: undefined }),
    secrets: fc.uniqueArray(fc.constantFrom("a", "b", "envbox-pull"), { maxLength: 3 }),
    grace: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
    hostname: fc.option(fc.constantFrom("ws-0"), { nil: undefined }),
    terms: fc.array(fc.constantFrom("zone", "kubernetes.io/os", "cvm.dev/eligible"), { maxLength: 3 }),
    envFrom: fc.array(
      fc.record({ name: fc.constantFrom("a", "b"), prefix: fc.constantFrom(undefined, "", "APP_") }),
      {
        maxLength: 3,
      },
    ),
    annotations: fc.subarray([
      ["cvm.dev/inner-user", "coder"],
      ["cvm.dev/image-pull-secret", "b"],
      ["cvm.dev/tun", "true"],
      ["cvm.dev/docker-bridge-cidr", "10.9.0.1/30"],
      ["cvm.dev/extra-ca-configmap", "team-ca"],
    ] as const),
    init: fc.boolean(),
    gpu: fc.boolean(),
  })
  .map((r): V1Pod => {
    const app: V1Container = { name: "main", image: "example.com/app:1", env: r.env };
    if (r.command) app.command = r.command;
    if (r.args) app.args = r.args;
    if (r.workingDir) app.workingDir = r.workingDir;
    if (r.cpu || r.memory || r.gpu) {
      app.resources = {
        limits: {
          ...(r.cpu && { cpu: r.cpu }),
          ...(r.memory && { memory: r.memory }),
          ...(r.gpu && { "nvidia.com/gpu": "1" }),
        },
      };
    }
    if (r.runAsUser !== undefined) app.securityContext = { runAsUser: r.runAsUser };
    app.volumeMounts = r.mounts.map((m, i) => ({
      name: `v${i}`,
      mountPath: m.mountPath,
      readOnly: m.readOnly,
    }));
    const pod: V1Pod = {
      metadata: { name: "p", annotations: { "kubectl.kubernetes.io/default-container": "main" } },
      spec: { containers: [app], volumes: r.mounts.map((_, i) => ({ name: `v${i}`, emptyDir: {} })) },
    };
    if (r.envFrom.length > 0) {
      app.envFrom = r.envFrom.map(({ name, prefix }) => ({
        configMapRef: { name },
        ...(prefix === undefined ? {} : { prefix }),
      }));
    }
    for (const [key, value] of r.annotations) pod.metadata!.annotations![key] = value;
    if (r.init) pod.spec!.initContainers = [{ name: "prepare", image: "busybox", command: ["true"] }];
    if (r.secrets.length > 0) pod.spec!.imagePullSecrets = r.secrets.map((name) => ({ name }));
    if (r.grace !== undefined) pod.spec!.terminationGracePeriodSeconds = r.grace;
    if (r.hostname) pod.spec!.hostname = r.hostname;
    if (r.terms.length > 0) {
      pod.spec!.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: r.terms.map((key) => ({
              matchExpressions: [{ key, operator: "In", values: ["true"] }],
            })),
          },
        },
      };
    }
    return pod;
  });

const configs = [
  configWith({ supervisor: { imagePullSecrets: ["envbox-pull"] } }),
  // GPUs allowed (pods without one are refused in the other configs) and an extra-CA default.
  configWith({ supervisor: { gpu: { allowed: true }, extraCaConfigMap: { default: "corp-ca" } } }),
  configWith({ nodes: { labels: false }, kernel: { minimum: "5.4" } }),
  configWith({ form: "runtimeclass" }),
  configWith({
    form: "runtimeclass",
    runtimeClass: { userNamespaces: "crioAnnotation" },
    kernel: { minimum: "6.0" },
    nodes: { labels: false },
  }),
];

describe("CVM transform properties", () => {
  it.each(configs.map((c, i) => [i, c] as const))(
    "config %i: deterministic, idempotent, re-derivable, schema-valid",
    (_, config) => {
      fc.assert(
        fc.property(goodPod, (raw) => {
          const pod = asCvmPod(raw, config);
          const first = mutate(pod, config);
          const second = mutate(structuredClone(pod), config);
          expect(JSON.stringify(second)).toBe(JSON.stringify(first));
          if (!first.allowed) return; // generated reserved mount targets etc. are denied: covered below
          const out = first.mutated!;
          expect(schemaErrors(out as V1Pod & { apiVersion: string; kind: string })).toEqual([]);
          expectStrictPatchReproduces(pod, out);
          expect(mutate(out, config)).toEqual({ allowed: true, warnings: [] });
          expect(checkCvmForm(out, { config })).toEqual({ claimed: true, exact: true, reasons: [] });
          const derived = deriveOriginal(out, config);
          expect(derived.reasons).toEqual([]);
          const again = transformPod(derived.pod!, config);
          // Equal as JSON (key order may differ: the inverse re-adds, for example, the affinity last).
          expect(again.allowed && again.pod).toEqual(out);
        }),
        { numRuns: 150 },
      );
    },
  );

  it("a mutated pod with any one field altered is no longer our form", () => {
    const config = configs[0]!;
    const paths: ((p: V1Pod) => void)[] = [
      (p) => (p.spec!.containers[0]!.image = "evil/envbox"),
      (p) =>
        (p.spec!.containers[0]!.securityContext = { privileged: true, capabilities: { add: ["SYS_ADMIN"] } }),
      (p) => p.spec!.volumes!.push({ name: "host", hostPath: { path: "/" } }),
      (p) =>
        p.spec!.volumes!.push({
          name: "cvm-gpu-libraries",
          hostPath: { path: "/usr/lib/x86_64-linux-gnu", type: "Directory" },
        }),
      (p) => p.spec!.containers[0]!.env!.splice(1, 0, { name: "LD_PRELOAD", value: "/x.so" }),
      (p) => (p.spec!.hostPID = true),
      (p) => (p.spec!.affinity = undefined),
      (p) => (p.metadata!.annotations!["cvm.dev/form"] = "runtimeclass"),
    ];
    fc.assert(
      fc.property(goodPod, fc.constantFrom(...paths), (raw, alter) => {
        const decision = mutate(asCvmPod(raw, config), config);
        fc.pre(decision.allowed);
        const out = structuredClone(decision.allowed ? decision.mutated! : raw);
        alter(out);
        const check = checkCvmForm(out, { config });
        expect(check.claimed).toBe(true);
        expect(check.exact).toBe(false);
        expect(check.reasons.length).toBeGreaterThan(0);
        const again = mutate(out, config);
        expect(again.allowed).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("generated unsafe pods are denied, every reason naming a field", () => {
    const unsafe = fc.constantFrom<(p: V1Pod) => string>(
      (p) => ((p.spec!.hostNetwork = true), "spec.hostNetwork"),
      (p) => ((p.spec!.containers[0]!.securityContext = { privileged: true }), "securityContext.privileged"),
      (p) => (p.spec!.volumes!.push({ name: "h", hostPath: { path: "/etc" } }), "hostPath"),
      (p) => (
        (p.spec!.containers[0]!.securityContext = { capabilities: { add: ["NET_ADMIN"] } }),
        "capabilities.add"
      ),
      (p) => (p.spec!.containers[0]!.env!.push({ name: "CODER_MOUNTS", value: "/:/" }), "CODER_MOUNTS"),
      (p) => (
        (p.spec!.containers[0]!.envFrom = [{ configMapRef: { name: "c" }, prefix: "a-" }]),
        "envFrom[0].prefix"
      ),
      (p) => (p.spec!.containers.push({ name: "second", image: "x" }), "spec.containers"),
      (p) => ((p.spec!.containers[0]!.args = ["x".repeat(140 * 1024)]), "args[0]"),
      // Each value fits exec's 128 KiB, together they pass the 1 MiB bound of the whole environment.
      (p) => {
        const big = Array.from({ length: 9 }, (_, i) => ({
          name: `BIG_${i}`,
          value: "x".repeat(120 * 1024),
        }));
        p.spec!.containers[0]!.env!.push(...big);
        return "exec refuses more than 2 MiB";
      },
    );
    const config = configs[0]!;
    fc.assert(
      fc.property(goodPod, unsafe, (raw, makeUnsafe) => {
        const pod = asCvmPod(raw, config);
        const field = makeUnsafe(pod);
        const decision = mutate(pod, config);
        expect(decision.allowed).toBe(false);
        if (decision.allowed) return;
        expect(decision.reasons.some((r) => r.includes(field))).toBe(true);
        for (const reason of decision.reasons) expect(reason).toMatch(/^(spec|metadata)\./);
      }),
      { numRuns: 150 },
    );
  });
});
