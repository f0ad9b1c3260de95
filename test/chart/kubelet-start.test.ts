// The chart's pod starts (issue 13 §1): the BUILT server is started the way the kubelet starts the
// chart's container — the rendered command and args, the rendered ConfigMap at its mount path, the
// Secret volume (optional, still empty at first start in selfManaged mode), and the environment
// the kubelet builds (test/support/kubelet-env.ts: downward API, the chart's env, the service
// links of every Service the chart renders, with enableServiceLinks as rendered and forced on).
// It must keep running and answer /healthz, for several release names and a fullnameOverride.
// What cannot be reproduced outside a node is replaced, each said where it happens: mount paths
// live under a temporary root, the pod's own network namespace is loopback on a free port, and the
// in-cluster credentials (fixed paths under /var/run/secrets) are a KUBECONFIG for a fake apiserver.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ensureBuilt, MAIN } from "../faults/built-cli.js";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.js";
import { kubeletContainerEnv, type ServiceSpec } from "../support/kubelet-env.js";
import { findRenderer, render, type Manifest, type RenderOptions, type Renderer } from "./render.js";

const found = findRenderer();
const renderer = "missing" in found ? undefined : (found as Renderer);
if (!renderer) console.info(`kubelet start-up tests SKIPPED: ${(found as { missing: string }).missing}`);

interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; optional?: boolean };
  emptyDir?: object;
}
interface Container {
  command: string[];
  args: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
}
interface PodSpec {
  enableServiceLinks?: boolean;
  serviceAccountName: string;
  containers: [Container];
  volumes: Volume[];
}

function only(manifests: Manifest[], kind: string, name?: string): Manifest {
  const matches = manifests.filter(
    (m) => m.kind === kind && (name === undefined || m.metadata.name === name),
  );
  if (matches.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${matches.length}`);
  return matches[0]!;
}

/** Each rendered Service with a cluster IP the apiserver would have given it. */
function servicesOf(manifests: Manifest[]): ServiceSpec[] {
  return manifests
    .filter((m) => m.kind === "Service")
    .map((m, i) => ({
      name: m.metadata.name,
      clusterIP: `10.96.${40 + i}.${7 + i}`,
      ports: (m["spec"] as { ports: ServiceSpec["ports"] }).ports,
    }));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function healthz(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    // The certificate is a placeholder until the Secret exists: the kubelet's HTTPS probes do not verify it either.
    const req = request(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 2_000 },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

interface Started {
  exitCode(): number | null;
  output(): string;
  port: number;
  stop(): void;
}

/** Lays out the pod's volumes under `root` and starts its container as the kubelet would. */
async function startAsKubelet(
  manifests: Manifest[],
  links: "as rendered" | "on",
  api: FakeApiServer,
): Promise<Started> {
  const deployment = only(manifests, "Deployment");
  const pod = (deployment["spec"] as { template: { spec: PodSpec } }).template.spec;
  const container = pod.containers[0];
  const namespace = deployment.metadata.namespace!;
  const root = mkdtempSync(join(tmpdir(), "cvm-kubelet-"));
  const inRoot = (path: string) => join(root, path);
  const port = await freePort();

  for (const mount of container.volumeMounts) {
    const volume = pod.volumes.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volumeMount ${mount.name} has no volume`);
    if (volume.configMap) {
      const data = (only(manifests, "ConfigMap", volume.configMap.name)["data"] ?? {}) as Record<
        string,
        string
      >;
      const files = mount.subPath ? { [""]: data[mount.subPath]! } : data;
      for (const [file, text] of Object.entries(files)) {
        const path = inRoot(join(mount.mountPath, file));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, configForThisHost(text, container, port, inRoot));
      }
    } else if (volume.secret) {
      // selfManaged: the leader creates the Secret after the first start; the optional volume is empty until then.
      if (volume.secret.optional !== true)
        throw new Error(`required Secret ${volume.secret.secretName}: not modelled`);
      mkdirSync(inRoot(mount.mountPath), { recursive: true });
    } else if (volume.emptyDir) {
      mkdirSync(inRoot(mount.mountPath), { recursive: true });
    } else throw new Error(`volume ${volume.name}: kind not modelled`);
  }

  const podName = `${deployment.metadata.name}-7c9f8d6b5-x2k4q`;
  const env = kubeletContainerEnv({
    container,
    pod: {
      name: podName,
      namespace,
      uid: "0f6e2c1a-3b1d-4c55-9a8e-7d1b2c3d4e5f",
      nodeName: "node-1",
      podIP: "10.244.1.23",
      serviceAccountName: pod.serviceAccountName,
    },
    namespaceServices: servicesOf(manifests),
    enableServiceLinks: links === "on" ? true : pod.enableServiceLinks,
  });
  // The image's own environment (PATH, HOSTNAME), and the stand-in for the in-cluster credentials.
  Object.assign(env, {
    PATH: process.env["PATH"] ?? "/usr/bin",
    HOSTNAME: podName,
    KUBECONFIG: api.kubeconfigPath,
  });

  const [node, script, ...imageArgs] = [...container.command, ...container.args];
  expect([node, script]).toEqual(["node", "/app/dist/cli/main.js"]);
  const args = imageArgs.map((arg) =>
    container.volumeMounts.some((m) => arg.startsWith(m.mountPath)) ? inRoot(arg) : arg,
  );
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  let exitCode: number | null = null;
  child.once("exit", (code, signal) => (exitCode = code ?? (signal ? 128 : null)));
  return {
    port,
    exitCode: () => exitCode,
    output: () => output,
    stop: () => {
      child.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The rendered config with its mount paths under the test's root and the pod's port on loopback. */
function configForThisHost(
  text: string,
  container: Container,
  port: number,
  inRoot: (p: string) => string,
): string {
  const config = parseYaml(text) as { server: Record<string, unknown> } & Record<string, unknown>;
  const relocate = (value: unknown): unknown => {
    if (typeof value === "string")
      return container.volumeMounts.some((m) => value.startsWith(m.mountPath)) ? inRoot(value) : value;
    if (Array.isArray(value)) return value.map(relocate);
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocate(v)]));
    return value;
  };
  const relocated = relocate(config) as typeof config;
  expect(relocated.server["port"]).toBe(8443);
  relocated.server["port"] = port;
  relocated.server["host"] = "127.0.0.1";
  return stringifyYaml(relocated);
}

const RELEASES: [string, RenderOptions][] = [
  ["release cvm-admission (the documented install)", { release: "cvm-admission" }],
  ["release cvm", { release: "cvm" }],
  ["release cvm-admission-prod", { release: "cvm-admission-prod", namespace: "platform" }],
  [
    "fullnameOverride cvm-admission-webhook",
    { release: "x", values: { fullnameOverride: "cvm-admission-webhook", "config.logging.level": "debug" } },
  ],
];

describe.skipIf(!renderer)("the chart's pod starts as the kubelet starts it", () => {
  let api: FakeApiServer;
  beforeAll(async () => {
    ensureBuilt();
    api = await startFakeApiServer();
  }, 120_000);
  afterAll(() => api?.close());

  it("renders enableServiceLinks: false", () => {
    const deployment = only(render(renderer!), "Deployment");
    expect((deployment["spec"] as { template: { spec: PodSpec } }).template.spec.enableServiceLinks).toBe(
      false,
    );
  });

  describe.each(RELEASES)("%s", (_name, options) => {
    it.each(["as rendered", "on"] as const)(
      "enableServiceLinks %s: keeps running and serves /healthz",
      async (links) => {
        const manifests = render(renderer!, options);
        const started = await startAsKubelet(manifests, links, api);
        try {
          let answer: number | string = "not asked";
          for (let i = 0; i < 100 && started.exitCode() === null && answer !== 200; i++) {
            await sleep(200);
            answer = await healthz(started.port);
          }
          expect(started.exitCode(), started.output()).toBeNull();
          expect(answer, started.output()).toBe(200);
          // Still up a moment later (the live cluster, the lease and the certificates have started).
          await sleep(1_500);
          expect(started.exitCode(), started.output()).toBeNull();
          expect(await healthz(started.port)).toBe(200);
          // Skipped link variables are not dropped silently: at debug level the log names them.
          if (links === "on" && options.values?.["config.logging.level"] === "debug")
            expect(
              started
                .output()
                .split("\n")
                .some(
                  (line) =>
                    line.includes("service-link variables") &&
                    line.includes("CVM_ADMISSION_WEBHOOK_SERVICE_HOST"),
                ),
            ).toBe(true);
        } finally {
          started.stop();
        }
      },
      40_000,
    );
  });
});
