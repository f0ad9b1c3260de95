import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultConfig, loadConfig } from "../../src/config/load.js";

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "cvm-config-")), "config.yaml");
  writeFileSync(file, text);
  return file;
}

describe("configuration", () => {
  it("has a default for every key", () => {
    const config = defaultConfig();
    expect(config.form).toBe("envbox");
    expect(config.kernel.minimum).toBe("5.4");
    expect(config.nodes.labels).toBe(true);
    expect(config.istio).toEqual({
      policy: "optOut",
      badVersions: ">=1.6",
      proxyImageRepositories: ["docker.io/istio", "gcr.io/istio-release", "registry.istio.io/release"],
    });
    expect(config.access).toEqual({ breakGlassGroups: [], baselineVersion: "latest" });
    expect(config.supervisor.image).toMatch(/^ghcr\.io\/coder\/envbox:[\d.]+@sha256:[0-9a-f]{64}$/);
    expect(config.server.port).toBe(8443);
  });

  it("reads a YAML file over the defaults, keeping the defaults it does not mention", () => {
    const config = loadConfig({ file: configFile("form: runtimeclass\nistio:\n  policy: warn\n"), env: {} });
    expect(config.form).toBe("runtimeclass");
    expect(config.istio).toEqual({ ...defaultConfig().istio, policy: "warn" });
    expect(config.kernel.minimum).toBe("5.4");
  });

  it("lets an env variable override a key by its path", () => {
    const config = loadConfig({
      file: configFile("istio:\n  policy: deny\n"),
      env: {
        CVM_ADMISSION_ISTIO_POLICY: "warn",
        CVM_ADMISSION_ACCESS_BREAK_GLASS_GROUPS: "sre, oncall",
        CVM_ADMISSION_NODES_LABELS: "false",
        CVM_ADMISSION_SERVER_PORT: "9443",
        PATH: "/usr/bin",
      },
    });
    expect(config.istio.policy).toBe("warn");
    expect(config.access.breakGlassGroups).toEqual(["sre", "oncall"]);
    expect(config.nodes.labels).toBe(false);
    expect(config.server.port).toBe(9443);
  });

  it("keeps GPUs off and names no extra-CA ConfigMap by default", () => {
    const { gpu, extraCaConfigMap } = defaultConfig().supervisor;
    expect(gpu).toEqual({
      allowed: false,
      hostLibraryDir: "/usr/lib/x86_64-linux-gnu",
      resourceNames: ["nvidia.com/gpu"],
    });
    expect(extraCaConfigMap).toEqual({ default: "", allowed: true });
  });

  it("sets GPU passthrough and the extra-CA default by env variables named after their paths", () => {
    const config = loadConfig({
      env: {
        CVM_ADMISSION_SUPERVISOR_GPU_ALLOWED: "true",
        CVM_ADMISSION_SUPERVISOR_GPU_HOST_LIBRARY_DIR: "/usr/lib64",
        CVM_ADMISSION_SUPERVISOR_GPU_RESOURCE_NAMES: "nvidia.com/gpu,nvidia.com/mig-1g.10gb",
        CVM_ADMISSION_SUPERVISOR_EXTRA_CA_CONFIG_MAP_DEFAULT: "corp-ca",
        CVM_ADMISSION_SUPERVISOR_EXTRA_CA_CONFIG_MAP_ALLOWED: "false",
      },
    });
    expect(config.supervisor.gpu).toEqual({
      allowed: true,
      hostLibraryDir: "/usr/lib64",
      resourceNames: ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"],
    });
    expect(config.supervisor.extraCaConfigMap).toEqual({ default: "corp-ca", allowed: false });
  });

  it("pins an older Pod Security baseline and adds proxy image repositories", () => {
    const config = loadConfig({
      file: configFile(
        "access:\n  baselineVersion: v1.28\nistio:\n  proxyImageRepositories: [registry.example.com/mesh]\n",
      ),
      env: {},
    });
    expect(config.access.baselineVersion).toBe("v1.28");
    expect(config.istio.proxyImageRepositories).toEqual(["registry.example.com/mesh"]);
  });

  it.each([
    ["an unknown top-level key", "colour: blue\n", /colour: unknown key/],
    ["an unknown nested key", "istio:\n  polcy: warn\n", /istio\.polcy: unknown key/],
    [
      "a bad enum value",
      "istio:\n  policy: sometimes\n",
      /istio\.policy: must be one of optOut, reroute, warn, deny/,
    ],
    ["a bad kernel minimum", "kernel:\n  minimum: '5'\n", /kernel\.minimum: must match pattern/],
    [
      "a baseline version newer than this build knows",
      "access:\n  baselineVersion: v1.36\n",
      /access\.baselineVersion: must match pattern/,
    ],
    ["a baseline version without its v", "access:\n  baselineVersion: '1.30'\n", /access\.baselineVersion/],
    [
      "a proxy image repository with a tag",
      "istio:\n  proxyImageRepositories: [docker.io/istio/proxyv2:1.27]\n",
      /istio\.proxyImageRepositories\.0: must match pattern/,
    ],
    ["a wrong type", "server:\n  port: high\n", /server\.port: must be integer/],
    ...["usr/lib", "/", "/usr/lib/", "/usr/../etc", "/usr/./lib", "//usr/lib"].map(
      (dir): [string, string, RegExp] => [
        `a GPU library directory ${JSON.stringify(dir)} (absolute, no trailing slash, no . or .. segment)`,
        `supervisor:\n  gpu:\n    hostLibraryDir: ${JSON.stringify(dir)}\n`,
        /supervisor\.gpu\.hostLibraryDir: must match pattern/,
      ],
    ),
    [
      "a native resource as a GPU resource name",
      "supervisor:\n  gpu:\n    resourceNames: [memory]\n",
      /supervisor\.gpu\.resourceNames\.0: must match pattern/,
    ],
    [
      "no GPU resource names",
      "supervisor:\n  gpu:\n    resourceNames: []\n",
      /supervisor\.gpu\.resourceNames/,
    ],
    [
      "an extra-CA ConfigMap that is not a ConfigMap name",
      "supervisor:\n  extraCaConfigMap:\n    default: Corp_CA\n",
      /supervisor\.extraCaConfigMap\.default: must match pattern/,
    ],
    ["a list at the top", "- a\n", /must hold a mapping/],
    ["broken YAML", "istio: [\n", /not valid YAML/],
  ])("rejects %s with an error naming the key", (_what, text, message) => {
    expect(() => loadConfig({ file: configFile(text), env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file: configFile(text), env: {} })).toThrow(message);
  });

  it("rejects an unknown or ill-typed CVM_ADMISSION_ variable by name", () => {
    expect(() => loadConfig({ env: { CVM_ADMISSION_ISTIO_POLICIES: "warn" } })).toThrow(
      /CVM_ADMISSION_ISTIO_POLICIES: unknown setting/,
    );
    expect(() => loadConfig({ env: { CVM_ADMISSION_NODES_LABELS: "yes" } })).toThrow(
      /CVM_ADMISSION_NODES_LABELS: must be true or false/,
    );
    expect(() => loadConfig({ env: { CVM_ADMISSION_SERVER_PORT: "8k" } })).toThrow(
      /CVM_ADMISSION_SERVER_PORT: must be an integer/,
    );
  });

  it("names a missing file", () => {
    expect(() => loadConfig({ file: "/nonexistent/config.yaml", env: {} })).toThrow(
      /cannot read config file \/nonexistent\/config.yaml/,
    );
  });
});
