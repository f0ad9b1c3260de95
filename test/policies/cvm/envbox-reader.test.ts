// The envbox form read back the way envbox and the kubelet read it (test/support/envbox-reader.ts):
// every golden case and generated pods the webhook allows must start in envbox and give the user's
// command what the original pod gave it, or the decision must warn about each difference.

import type { V1Pod } from "@kubernetes/client-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/config.js";
import { readEnvbox, unwarned, type Finding } from "../../support/envbox-reader.js";
import { validPod } from "../../fuzz/valid-pod.js";
import { goldenCases, goldenFile } from "./golden-cases.js";
import { asCvmPod, configWith, mutate, OPTED_IN } from "./support.js";

/** The findings no warning covers, for a pod the webhook allows in the envbox form; undefined otherwise. */
function uncovered(input: V1Pod, config: Config): Finding[] | undefined {
  const decision = mutate(input, config);
  if (!decision.allowed || !decision.mutated || config.form !== "envbox") return undefined;
  const index = decision.mutated.spec!.containers.findIndex((c) => c.name === "cvm-supervisor");
  return unwarned(readEnvbox(input, decision.mutated, index), decision.warnings);
}

const goldens = goldenCases().map((golden) => [golden.id, golden] as const);

describe("envbox reads every golden supervisor as the user meant it", () => {
  it.each(goldens)("%s", (_, golden) => {
    const config = configWith((goldenFile(golden, "config.yaml") ?? {}) as object);
    const found = uncovered(goldenFile(golden, "input.yaml") as V1Pod, config);
    expect(found ?? []).toEqual([]);
  });
});

/** What valid-pod.ts does not generate: envFrom sources with and without prefix, names over 63
 * characters, a GPU (allowed in the configuration these pods are read under). */
const extras = fc.record({
  envFrom: fc.array(
    fc.oneof(
      fc.record({ configMapRef: fc.record({ name: fc.constantFrom("settings", "flags") }) }),
      fc.record({
        secretRef: fc.record({ name: fc.constantFrom("db") }),
        prefix: fc.constantFrom("DB_", ""),
      }),
    ),
    { maxLength: 2 },
  ),
  longName: fc.boolean(),
  gpu: fc.boolean(),
});
const gpuAllowed = configWith({ supervisor: { gpu: { allowed: true } } });

describe("envbox reads generated pods as the user meant them", () => {
  it("every allowed generated pod starts and keeps its settings or warns", () => {
    let allowed = 0;
    fc.assert(
      fc.property(validPod, extras, (pod, extra) => {
        // One app container in the opted-in namespace: the shapes the webhook may allow.
        const one = { ...pod, metadata: { ...pod.metadata, namespace: OPTED_IN } } as V1Pod;
        if (extra.longName) one.metadata!.name = `${one.metadata!.name}-${"x".repeat(70)}`;
        const app = { ...one.spec!.containers[0]! };
        if (extra.envFrom.length > 0) app.envFrom = extra.envFrom;
        if (extra.gpu)
          app.resources = { ...app.resources, limits: { ...app.resources?.limits, "nvidia.com/gpu": "1" } };
        one.spec = { ...one.spec!, containers: [app] };
        const found = uncovered(asCvmPod(one), gpuAllowed);
        if (found) allowed++;
        expect(found ?? []).toEqual([]);
      }),
      // Each allowed pod runs its bootstrap in a real shell: fewer runs than the pure properties.
      { numRuns: 40 },
    );
    // The property says nothing if the webhook refused everything.
    expect(allowed).toBeGreaterThan(10);
  }, 120_000);
});

/** The webhook's output for a pod it must allow. */
function emittedFor(input: V1Pod, config: Config): V1Pod {
  const decision = mutate(asCvmPod(input), config);
  if (!decision.allowed || !decision.mutated) throw new Error("the base pod must be allowed");
  return decision.mutated;
}

/** Sets a supervisor variable (the supervisor is the first container), adding it when missing. */
function setEnv(out: V1Pod, name: string, value: string): void {
  const env = out.spec!.containers[0]!.env!;
  const entry = env.find((e) => e.name === name);
  if (entry) {
    entry.value = value;
    delete entry.valueFrom;
  } else env.push({ name, value });
}

describe("the reader itself fails on what envbox refuses", () => {
  const pod: V1Pod = {
    metadata: { name: "dev" },
    spec: {
      containers: [
        {
          name: "dev",
          image: "ubuntu:24.04",
          command: ["sleep", "$(N)"],
          env: [{ name: "N", value: "5" }],
          resources: { limits: { cpu: "2", memory: "1Gi" } },
          volumeMounts: [{ name: "cfg", mountPath: "/etc/app" }],
        },
      ],
      volumes: [{ name: "cfg", configMap: { name: "app" } }],
    },
  };
  const emitted = (): V1Pod => emittedFor(pod, configWith());
  const fatal = (out: V1Pod) =>
    readEnvbox(pod, out, 0)
      .filter((f) => f.fatal)
      .map((f) => f.about);

  it("reads the emitted pod without findings", () => {
    expect(readEnvbox(pod, emitted(), 0).filter((f) => f.about !== "enableServiceLinks")).toEqual([]);
  });

  it.each([
    ["a configMap without :ro", "CODER_MOUNTS", "/var/lib/cvm/mounts/00:/etc/app", "CODER_MOUNTS"],
    ["a malformed mount", "CODER_MOUNTS", "/a:/b:ro:x", "CODER_MOUNTS"],
    ["a source the supervisor lacks", "CODER_MOUNTS", "/nowhere:/etc/app:ro", "CODER_MOUNTS"],
    ["fractional CPUs", "CODER_CPUS", "1.5", "resources.limits.cpu"],
    ["memory beyond int64", "CODER_MEMORY", "99999999999999999999", "resources.limits.memory"],
    ["a 64-character hostname", "CODER_INNER_HOSTNAME", "h".repeat(64), "hostname"],
    ["an empty user", "CODER_INNER_USERNAME", "", "securityContext.runAsUser"],
    ["a failing bootstrap", "CODER_BOOTSTRAP_SCRIPT", "exit 3", "CODER_BOOTSTRAP_SCRIPT"],
  ])("%s", (_, name, value, about) => {
    const out = emitted();
    setEnv(out, name, value);
    expect(fatal(out)).toContain(about);
  });

  it("finds a variable the user's command loses", () => {
    const out = emitted();
    setEnv(out, "CODER_INNER_ENVS", "KUBERNETES_*,CVM_ARGV_*");
    expect(readEnvbox(pod, out, 0).map((f) => f.text)).toContain("N is missing");
  });
});

describe("the reader reads the GPU variables as envbox does", () => {
  const config = configWith({ supervisor: { gpu: { allowed: true } } });
  const cuda = { name: "cuda", image: "nvidia/cuda:12.4.1-base-ubuntu22.04", command: ["sleep", "infinity"] };
  const pod: V1Pod = {
    metadata: { name: "gpu" },
    spec: { containers: [{ ...cuda, resources: { limits: { "nvidia.com/gpu": "1" } } }] },
  };
  const emitted = (input: V1Pod = pod): V1Pod => emittedFor(input, config);
  const read = (out: V1Pod, input: V1Pod = pod) =>
    readEnvbox(input, out, 0).filter((f) => f.about !== "enableServiceLinks");
  const fatal = (out: V1Pod) =>
    read(out)
      .filter((f) => f.fatal)
      .map((f) => f.about);
  const GPU = 'resources.limits["nvidia.com/gpu"]';

  it("reads the emitted GPU pod without findings", () => {
    expect(read(emitted())).toEqual([]);
  });

  it("CODER_ADD_GPU without CODER_USR_LIB_DIR stops envbox", () => {
    const out = emitted();
    const supervisor = out.spec!.containers[0]!;
    supervisor.env = supervisor.env!.filter((e) => e.name !== "CODER_USR_LIB_DIR");
    expect(fatal(out)).toContain("CODER_USR_LIB_DIR");
  });

  it.each([
    ["a directory the supervisor does not mount", "/var/lib/cvm/nowhere"],
    ["the supervisor's own libraries", "/usr/lib"],
  ])("CODER_USR_LIB_DIR at %s stops envbox", (_, dir) => {
    const out = emitted();
    setEnv(out, "CODER_USR_LIB_DIR", dir);
    expect(fatal(out)).toContain("CODER_USR_LIB_DIR");
  });

  it("a relative CODER_INNER_USR_LIB_DIR stops docker", () => {
    const out = emitted();
    setEnv(out, "CODER_INNER_USR_LIB_DIR", "usr/lib");
    expect(fatal(out)).toContain("CODER_INNER_USR_LIB_DIR");
  });

  it("a library directory that is not the host's is a difference", () => {
    const out = emitted();
    const volume = out.spec!.volumes!.find((v) => v.name === "cvm-gpu-libraries")!;
    delete volume.hostPath;
    volume.emptyDir = {};
    expect(read(out).map((f) => f.about)).toEqual(["CODER_USR_LIB_DIR"]);
  });

  it("a GPU the supervisor holds without CODER_ADD_GPU never reaches the inner container", () => {
    const out = emitted();
    setEnv(out, "CODER_ADD_GPU", "yes"); // ParseBool: false
    expect(read(out).map((f) => f.about)).toEqual([GPU]);
  });

  it("a GPU the supervisor does not hold gives no devices", () => {
    const out = emitted();
    delete out.spec!.containers[0]!.resources;
    expect(read(out).map((f) => f.about)).toEqual([GPU]);
  });

  it("CODER_ADD_GPU without a GPU resource is a difference", () => {
    const plain: V1Pod = structuredClone(pod);
    delete plain.spec!.containers[0]!.resources;
    const out = emitted(plain);
    setEnv(out, "CODER_ADD_GPU", "true");
    setEnv(out, "CODER_USR_LIB_DIR", "/var/lib/cvm/host-usr-lib");
    expect(read(out, plain).map((f) => f.about)).toContain("CODER_ADD_GPU");
  });

  it("copies the variables that mention nvidia into the inner container, as GPUEnvs does", () => {
    const withEnv: V1Pod = structuredClone(pod);
    withEnv.spec!.containers[0]!.env = [{ name: "NVIDIA_DRIVER_CAPABILITIES", value: "compute,utility" }];
    const out = emitted(withEnv);
    expect(read(out, withEnv)).toEqual([]);
    setEnv(out, "CODER_INNER_ENVS", "KUBERNETES_*,CVM_ARGV_*");
    // CVM_ENV_NVIDIA_... still reaches the bootstrap through GPUEnvs, which restores the user's name.
    expect(read(out, withEnv)).toEqual([]);
  });
});
