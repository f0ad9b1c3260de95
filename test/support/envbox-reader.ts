// Reads an emitted envbox supervisor the way envbox 0.6.7 does (docs/cvm-form.md, "What envbox
// reads"; our own implementation of its rules): the kubelet first builds the supervisor's
// environment (test/support/kubelet-env.ts), then envbox parses its variables, filters the
// environment it copies into the inner container, walks CODER_MOUNTS (remount, chmod, chown), checks
// the GPU variables and feeds CODER_BOOTSTRAP_SCRIPT to /bin/sh as the inner user. The script really runs here, under
// this machine's POSIX sh, with its final `exec` pointed at a recorder, so what the user's command
// receives (argv and environment) is observed, not inferred.
//
// `readEnvbox` returns every way the supervisor would fail to start or would differ from the
// user's pod; `unwarned` keeps the differences no warning of the decision names.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Container, V1Pod, V1VolumeMount } from "@kubernetes/client-node";
import { parseQuantity } from "../../src/policies/cvm/quantity.js";
import { isServiceLink, kubeletArgv, kubeletEnv, kubeletHostname, mountedReadOnly } from "./kubelet-env.js";

/** Linux MAX_ARG_STRLEN: one "NAME=value" string. */
const MAX_STRING = 128 * 1024;
/** ARG_MAX with the default 8 MiB stack (a quarter of it): all strings of one execve together. */
const MAX_TOTAL = 2 * 1024 * 1024;
/** Docker's smallest memory limit (daemon: linuxMinMemory). */
const DOCKER_MIN_MEMORY = 6 * 1024 * 1024;
/** Targets envbox leaves alone (cli/docker.go envboxPrivateMounts: an exact match on the target). */
const PRIVATE_TARGETS = new Set([
  "/var/lib/containers",
  "/var/lib/docker",
  "/var/lib/sysbox",
  "/lib/modules",
  "/usr/src",
  "/var/lib/coder",
]);
/** The CODER_* variables envbox 0.6.7 reads (its flags) and the agent's. */
export const ENVBOX_VARIABLES = new Set([
  "CODER_INNER_IMAGE",
  "CODER_INNER_USERNAME",
  "CODER_INNER_ENVS",
  "CODER_INNER_WORK_DIR",
  "CODER_INNER_HOSTNAME",
  "CODER_CPUS",
  "CODER_MEMORY",
  "CODER_MOUNTS",
  "CODER_BOOTSTRAP_SCRIPT",
  "CODER_IMAGE_PULL_SECRET",
  "CODER_DOCKER_CONFIG",
  "CODER_AGENT_TOKEN",
  "CODER_AGENT_URL",
  "CODER_AGENT_SUBSYSTEM",
  "CODER_ADD_TUN",
  "CODER_ADD_FUSE",
  "CODER_ADD_GPU",
  "CODER_USR_LIB_DIR",
  "CODER_INNER_USR_LIB_DIR",
  "CODER_DOCKER_BRIDGE_CIDR",
  "CODER_EXTRA_CERTS_PATH",
  "CODER_DISABLE_IDMAPPED_MOUNT",
  "CODER_CVM_CONTAINER_NAME",
  "CODER_DEBUG",
]);
/** Set by the shell, the exec or the recorder, not by the pod. */
const SHELL_VARIABLES = new Set(["PWD", "OLDPWD", "SHLVL", "_", "BINARY_DIR", "HOME", "CVM_RECORD"]);

export interface Finding {
  /** A pod field or envbox variable the finding is about; a warning naming it covers a difference. */
  about: string;
  text: string;
  /** envbox (or the kubelet, or docker) would refuse to start: never covered by a warning. */
  fatal: boolean;
}

/** Go's strconv.Atoi on 64 bits, with cliflag's rule: anything it refuses is 0. */
export function goAtoi(text: string | undefined): bigint {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return 0n;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : 0n;
}

/** Go's strconv.ParseBool with cliflag's rule: anything else is false. */
export function goParseBool(text: string | undefined): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(text ?? "");
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** envbox's parseMounts: `src:dst[:ro]` joined by `,`; anything else stops envbox. */
export function parseMounts(value: string): Mount[] | string {
  if (value === "") return [];
  const mounts: Mount[] = [];
  for (const entry of value.split(",")) {
    const tokens = entry.split(":");
    if (tokens.length < 2 || tokens.length > 3) return `malformed mounts value ${JSON.stringify(value)}`;
    mounts.push({ source: tokens[0]!, target: tokens[1]!, readOnly: tokens[2] === "ro" });
  }
  return mounts;
}

/** envbox's filter: each token (trimmed) is a name, or a prefix when it ends in `*`; in token order. */
export function filterEnv(env: ReadonlyMap<string, string>, tokens: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of tokens.split(",")) {
    const token = raw.trim();
    for (const [name, value] of env) {
      if (token.endsWith("*") ? name.startsWith(token.slice(0, -1)) : name === token) out.push([name, value]);
    }
  }
  return out;
}

function execveFindings(env: ReadonlyMap<string, string>, out: Finding[]): void {
  let total = 0;
  for (const [name, value] of env) {
    const bytes = Buffer.byteLength(`${name}=${value}`) + 1;
    total += bytes + 8;
    if (bytes > MAX_STRING)
      out.push({ about: name, text: `${name}: ${bytes} bytes, over exec's 128 KiB`, fatal: true });
  }
  if (total > MAX_TOTAL)
    out.push({ about: "env", text: `environment of ${total} bytes, over ARG_MAX`, fatal: true });
}

function limitFindings(app: V1Container, env: ReadonlyMap<string, string>, out: Finding[]): void {
  const limits = app.resources?.limits ?? {};
  for (const [resource, variable] of [
    ["cpu", "CODER_CPUS"],
    ["memory", "CODER_MEMORY"],
  ] as const) {
    const text = limits[resource];
    const read = goAtoi(env.get(variable));
    const about = `resources.limits.${resource}`;
    if (text === undefined) {
      if (read !== 0n) out.push({ about, text: `${variable}=${read} without a limit`, fatal: false });
      continue;
    }
    const q = parseQuantity(String(text))!;
    const ceil = (q.numerator + q.denominator - 1n) / q.denominator;
    if (read === 0n && ceil !== 0n) {
      out.push({
        about,
        text: `${variable}: envbox reads ${JSON.stringify(env.get(variable))} as no limit`,
        fatal: true,
      });
    } else if (resource === "cpu" && read * 100000n >= 2n ** 63n) {
      out.push({ about, text: `${variable}=${read}: the CPU quota overflows`, fatal: true });
    } else if (resource === "memory" && read > 0n && read < BigInt(DOCKER_MIN_MEMORY)) {
      out.push({ about, text: `${variable}=${read}: below docker's 6 MiB minimum`, fatal: true });
    } else if (read !== ceil) {
      out.push({ about, text: `${variable}=${read}, the pod's limit is ${text}`, fatal: false });
    } else if (q.numerator % q.denominator !== 0n) {
      out.push({ about, text: `${variable}=${read} rounds ${text} up`, fatal: false });
    }
  }
}

function mountFindings(
  entries: Mount[],
  supervisor: V1Container,
  app: V1Container,
  pod: V1Pod,
  out: Finding[],
): void {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const bySource = new Map((supervisor.volumeMounts ?? []).map((m) => [m.mountPath, m]));
  const userMounts = app.volumeMounts ?? [];
  for (const entry of entries) {
    if (PRIVATE_TARGETS.has(entry.target)) continue;
    const mount = bySource.get(entry.source);
    if (!mount) {
      out.push({
        about: "CODER_MOUNTS",
        text: `chmod ${entry.source}: not mounted in the supervisor`,
        fatal: true,
      });
      continue;
    }
    const readOnly = mount.readOnly === true || mountedReadOnly(volumes.get(mount.name));
    if (readOnly && !entry.readOnly) {
      out.push({
        about: "CODER_MOUNTS",
        text: `chmod ${entry.source}: read-only file system (no :ro)`,
        fatal: true,
      });
    }
  }
  // Every mount of the user's container reaches the same target, from the same volume, as read-only as before.
  userMounts.forEach((want: V1VolumeMount, i) => {
    const about = `volumeMounts[${i}]`;
    const entry = entries.find((e) => e.target === want.mountPath);
    const got = entry && bySource.get(entry.source);
    if (!entry || !got) {
      out.push({ about, text: `${want.mountPath} does not reach the inner container`, fatal: false });
      return;
    }
    const same =
      got.name === want.name && got.subPath === want.subPath && got.subPathExpr === want.subPathExpr;
    if (!same)
      out.push({ about, text: `${want.mountPath} comes from another volume or subPath`, fatal: false });
    const wantRO = want.readOnly === true || mountedReadOnly(volumes.get(want.name));
    if (wantRO !== entry.readOnly) {
      out.push({
        about,
        text: `${want.mountPath} is ${entry.readOnly ? "read-only" : "writable"} inside`,
        fatal: false,
      });
    }
  });
}

/** The cvm.dev/* switches the pod asked for reach envbox as it reads them (ParseBool; the CIDR as given). */
function optionFindings(original: V1Pod, env: ReadonlyMap<string, string>, out: Finding[]): void {
  const annotations = original.metadata?.annotations ?? {};
  for (const [annotation, variable] of [
    ["cvm.dev/tun", "CODER_ADD_TUN"],
    ["cvm.dev/fuse", "CODER_ADD_FUSE"],
    ["cvm.dev/disable-idmapped-mount", "CODER_DISABLE_IDMAPPED_MOUNT"],
  ] as const) {
    const asked = annotations[annotation];
    if (asked !== undefined && (asked === "true") !== goParseBool(env.get(variable))) {
      out.push({
        about: annotation,
        text: `${variable} is ${env.get(variable)}, the pod asked ${asked}`,
        fatal: false,
      });
    }
  }
  const cidr = annotations["cvm.dev/docker-bridge-cidr"];
  if (cidr !== undefined && env.get("CODER_DOCKER_BRIDGE_CIDR") !== cidr) {
    out.push({
      about: "cvm.dev/docker-bridge-cidr",
      text: `the bridge is ${env.get("CODER_DOCKER_BRIDGE_CIDR")}`,
      fatal: false,
    });
  }
}

/** CODER_EXTRA_CERTS_PATH must be one file envbox can stat and copy (a ConfigMap directory holds a `..data` link it cannot). */
function certsFindings(
  env: ReadonlyMap<string, string>,
  supervisor: V1Container,
  emitted: V1Pod,
  out: Finding[],
): void {
  const path = env.get("CODER_EXTRA_CERTS_PATH");
  if (path === undefined) return;
  const dir = path.slice(0, path.lastIndexOf("/"));
  const mount = (supervisor.volumeMounts ?? []).find((m) => m.mountPath === dir);
  const volume = (emitted.spec?.volumes ?? []).find((v) => v.name === mount?.name);
  const file = path.slice(dir.length + 1);
  if (!volume?.configMap?.items?.some((item) => item.path === file)) {
    out.push({ about: "cvm.dev/extra-ca-configmap", text: `${path} is not one mounted file`, fatal: true });
  }
}

/** Kubernetes' own resources; every other name is an extended resource a device plugin serves. */
function extendedResources(c: V1Container): string[] {
  const names = Object.keys({ ...c.resources?.limits, ...c.resources?.requests });
  return names.filter(
    (n) => !["cpu", "memory", "ephemeral-storage"].includes(n) && !n.startsWith("hugepages-"),
  );
}

/** Directories of the supervisor's own programs and libraries, which CODER_USR_LIB_DIR must not cover (envbox's README, "GPUs"). */
const SYSTEM_DIRS = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"];

/**
 * GPUs (cli/docker.go and xunix/gpu.go): with CODER_ADD_GPU envbox stops unless CODER_USR_LIB_DIR
 * is set and can be walked, takes the GPU devices and files from the supervisor's mounts, and binds
 * the GPU libraries under CODER_USR_LIB_DIR into the inner container at CODER_INNER_USR_LIB_DIR
 * (else a directory chosen by the image's distribution). A GPU the supervisor holds reaches the
 * inner container only that way.
 */
function gpuFindings(
  app: V1Container,
  supervisor: V1Container,
  emitted: V1Pod,
  env: ReadonlyMap<string, string>,
  out: Finding[],
): void {
  const addGpu = goParseBool(env.get("CODER_ADD_GPU"));
  const asked = extendedResources(app);
  const held = new Set(extendedResources(supervisor));
  for (const name of asked) {
    const about = `resources.limits["${name}"]`;
    if (!held.has(name))
      out.push({ about, text: `the supervisor does not hold ${name}: no devices`, fatal: false });
    else if (!addGpu)
      out.push({ about, text: `${name} reaches the supervisor, CODER_ADD_GPU is off`, fatal: false });
  }
  if (!addGpu) return;
  if (asked.length === 0)
    out.push({ about: "CODER_ADD_GPU", text: "CODER_ADD_GPU without a GPU resource", fatal: false });
  const dir = env.get("CODER_USR_LIB_DIR") ?? "";
  if (dir === "") {
    out.push({ about: "CODER_USR_LIB_DIR", text: "CODER_ADD_GPU needs CODER_USR_LIB_DIR", fatal: true });
  } else {
    const mount = (supervisor.volumeMounts ?? []).find((m) => m.mountPath === dir);
    const volume = (emitted.spec?.volumes ?? []).find((v) => v.name === mount?.name);
    if (!mount) {
      out.push({
        about: "CODER_USR_LIB_DIR",
        text: `stat ${dir}: not mounted in the supervisor`,
        fatal: true,
      });
    } else if (!volume?.hostPath) {
      out.push({
        about: "CODER_USR_LIB_DIR",
        text: `${dir} does not hold the host's libraries`,
        fatal: false,
      });
    }
    if (SYSTEM_DIRS.some((d) => dir === d || dir.startsWith(`${d}/`)))
      out.push({ about: "CODER_USR_LIB_DIR", text: `${dir} covers the supervisor's own files`, fatal: true });
  }
  const inner = env.get("CODER_INNER_USR_LIB_DIR") ?? "";
  if (inner !== "" && !inner.startsWith("/"))
    out.push({
      about: "CODER_INNER_USR_LIB_DIR",
      text: `docker refuses the relative target ${inner}`,
      fatal: true,
    });
}

/** envbox's GPUEnvs: with CODER_ADD_GPU, every variable whose name mentions nvidia is copied in as well. */
function gpuEnvs(env: ReadonlyMap<string, string>): [string, string][] {
  if (!goParseBool(env.get("CODER_ADD_GPU"))) return [];
  return [...env].filter(([name]) => /nvidia/i.test(name));
}

interface Recorded {
  argv: string[] | undefined;
  env: Map<string, string>;
}

/** Runs the bootstrap as envbox does (`/bin/sh -s`, BINARY_DIR set) with the inner environment. */
function runBootstrap(script: string, inner: [string, string][]): Recorded | string {
  const dir = mkdtempSync(join(tmpdir(), "envbox-reader-"));
  try {
    const recorder = join(dir, "record");
    // Prints its arguments and environment NUL-separated, then the user's command would have run.
    writeFileSync(
      recorder,
      `#!/bin/sh\n{ printf '%s\\0' "$@"; printf '\\1\\0'; /usr/bin/env -0; } > "$CVM_RECORD"\n`,
    );
    chmodSync(recorder, 0o755);
    const env: Record<string, string> = {
      HOME: dir,
      BINARY_DIR: join(dir, ".coder"),
      CVM_RECORD: join(dir, "out"),
    };
    for (const [name, value] of inner) env[name] ??= value; // getenv takes the first of duplicates
    // The user's program is replaced by the recorder: the last line's `exec` is the only one.
    const patched = script.replace(/^exec /m, `exec "${recorder}" `);
    try {
      execFileSync("/bin/sh", ["-s"], { input: patched, env, cwd: dir, stdio: ["pipe", "ignore", "pipe"] });
    } catch (error) {
      return `the bootstrap script fails: ${String((error as { stderr?: Buffer }).stderr ?? error)}`;
    }
    let text: string;
    try {
      text = readFileSync(join(dir, "out"), "utf8");
    } catch {
      // No command: nothing was exec'd. The login file is what the user's shells see.
      return { argv: undefined, env: new Map() };
    }
    const parts = text.split("\0");
    const mark = parts.indexOf("\u0001");
    const argv = parts.slice(0, mark);
    const recorded = new Map<string, string>();
    for (const entry of parts.slice(mark + 1)) {
      const eq = entry.indexOf("=");
      if (eq > 0) recorded.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return { argv, env: recorded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function commandFindings(
  app: V1Container,
  original: V1Pod,
  supervisorEnv: ReadonlyMap<string, string>,
  inner: [string, string][],
  out: Finding[],
): void {
  const wantEnv = kubeletEnv(app, original);
  const wantArgv = kubeletArgv(app, wantEnv);
  const script = supervisorEnv.get("CODER_BOOTSTRAP_SCRIPT") ?? "";
  let got: Recorded;
  if (script === "") {
    got = { argv: undefined, env: new Map(inner) };
  } else {
    const run = runBootstrap(script, inner);
    if (typeof run === "string") {
      out.push({ about: "CODER_BOOTSTRAP_SCRIPT", text: run, fatal: true });
      return;
    }
    got = run;
  }
  if (wantArgv.length > 0) {
    if (got.argv === undefined)
      out.push({ about: "command", text: "the command does not run", fatal: false });
    else if (JSON.stringify(got.argv) !== JSON.stringify(wantArgv)) {
      out.push({
        about: "command",
        text: `runs ${JSON.stringify(got.argv)}, not ${JSON.stringify(wantArgv)}`,
        fatal: false,
      });
    }
  }
  if (got.argv === undefined) return; // without a command the environment is checked where shells read it
  for (const [name, value] of wantEnv) {
    if (!got.env.has(name)) {
      const about = isServiceLink(name) ? "enableServiceLinks" : `env ${name}`;
      out.push({ about, text: `${name} is missing`, fatal: false });
    } else if (got.env.get(name) !== value) {
      out.push({
        about: `env ${name}`,
        text: `${name}=${JSON.stringify(got.env.get(name))}, not ${JSON.stringify(value)}`,
        fatal: false,
      });
    }
  }
  for (const name of got.env.keys()) {
    if (!wantEnv.has(name) && !SHELL_VARIABLES.has(name) && !name.startsWith("CODER_AGENT_")) {
      out.push({ about: `env ${name}`, text: `${name} is extra`, fatal: false });
    }
  }
}

/** Every way envbox would refuse `emitted` or run it differently from `original`'s app container. */
export function readEnvbox(original: V1Pod, emitted: V1Pod, appIndex: number): Finding[] {
  const out: Finding[] = [];
  const supervisor = emitted.spec!.containers.find((c) => c.name === "cvm-supervisor");
  const app = original.spec!.containers[appIndex]!;
  if (!supervisor) return [{ about: "spec.containers", text: "no cvm-supervisor", fatal: true }];
  const env = kubeletEnv(supervisor, emitted);
  execveFindings(env, out);
  if (!env.get("CODER_INNER_IMAGE"))
    out.push({ about: "image", text: "CODER_INNER_IMAGE is empty", fatal: true });
  else if (env.get("CODER_INNER_IMAGE") !== app.image)
    out.push({ about: "image", text: "another image", fatal: false });
  if (!env.get("CODER_INNER_USERNAME"))
    out.push({ about: "securityContext.runAsUser", text: "CODER_INNER_USERNAME is empty", fatal: true });
  else if (/^\d+$/.test(env.get("CODER_INNER_USERNAME")!) && env.get("CODER_INNER_USERNAME") !== "0") {
    out.push({
      about: "runAsUser",
      text: "a numeric inner user needs a passwd entry and a writable home",
      fatal: false,
    });
  }
  if ((env.get("CODER_INNER_WORK_DIR") ?? "") !== (app.workingDir ?? "")) {
    out.push({
      about: "workingDir",
      text: `CODER_INNER_WORK_DIR=${env.get("CODER_INNER_WORK_DIR")}`,
      fatal: false,
    });
  }
  const hostname = env.get("CODER_INNER_HOSTNAME") ?? "";
  if (hostname.length > 63)
    out.push({
      about: "hostname",
      text: `CODER_INNER_HOSTNAME of ${hostname.length} characters`,
      fatal: true,
    });
  else if (hostname !== kubeletHostname(original)) {
    out.push({
      about: "hostname",
      text: `inner hostname ${hostname}, the kubelet's is ${kubeletHostname(original)}`,
      fatal: false,
    });
  }
  limitFindings(app, env, out);
  optionFindings(original, env, out);
  certsFindings(env, supervisor, emitted, out);
  gpuFindings(app, supervisor, emitted, env, out);
  const mounts = parseMounts(env.get("CODER_MOUNTS") ?? "");
  if (typeof mounts === "string") out.push({ about: "CODER_MOUNTS", text: mounts, fatal: true });
  else mountFindings(mounts, supervisor, app, emitted, out);
  if (env.has("CODER_IMAGE_PULL_SECRET") && env.get("CODER_DOCKER_CONFIG") === undefined) {
    out.push({
      about: "CODER_DOCKER_CONFIG",
      text: "a file at /root/.docker/config.json would replace the pull secret",
      fatal: false,
    });
  }
  // envbox always gives the inner container the agent's token and subsystem first.
  const inner: [string, string][] = [
    ["CODER_AGENT_TOKEN", env.get("CODER_AGENT_TOKEN") ?? ""],
    ["CODER_AGENT_SUBSYSTEM", "envbox"],
    ...filterEnv(env, env.get("CODER_INNER_ENVS") ?? ""),
  ];
  const names = inner.map(([n]) => n);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0)
    out.push({ about: "CODER_INNER_ENVS", text: `copies ${twice.join(", ")} twice`, fatal: false });
  // Appended after the filter: a name copied twice this way has the same value both times.
  commandFindings(app, original, env, [...inner, ...gpuEnvs(env)], out);
  return out;
}

/** The findings a warning does not cover: fatal ones, and differences no warning names. */
export function unwarned(findings: readonly Finding[], warnings: readonly string[]): Finding[] {
  return findings.filter((f) => f.fatal || !warnings.some((w) => w.includes(f.about.replace(/^env /, ""))));
}
