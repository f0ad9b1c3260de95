// One replica of the chart's Deployment, as its pod would run it: the BUILT `cvm-admission serve
// --config config.yaml` (dist/), POD_NAMESPACE from the downward API, the certificate Secret's
// volume as its certificates directory, the apiserver through a kubeconfig instead of the
// in-cluster service account. Probes go over HTTPS without verifying the certificate, as the
// kubelet's do.

import type { ChildProcess } from "node:child_process";
import { get } from "node:https";
import { startServe } from "../faults/built-cli.js";
import { RELEASE_NAMESPACE } from "./install.js";
import { until } from "./until.js";

export interface ReplicaOptions {
  configFile: string;
  kubeconfigPath: string;
  /** Where the certificate Secret is projected (the pod's tls volume). */
  certsDir: string;
  env?: Record<string, string>;
}

interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

const STOP_GRACE_MS = 25_000;
/** Starting takes a second or two; with the whole suite on two shared cores it once took over 20 s. */
const START_TIMEOUT_MS = 60_000;

export class Replica {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly exited: Promise<number | null>,
    private readonly output: () => string,
  ) {}

  static async start({ configFile, kubeconfigPath, certsDir, env = {} }: ReplicaOptions): Promise<Replica> {
    const server = await startServe(
      ["--config", configFile, "--port", "0", "--certs-dir", certsDir],
      { KUBECONFIG: kubeconfigPath, POD_NAMESPACE: RELEASE_NAMESPACE, ...env },
      START_TIMEOUT_MS,
    );
    return new Replica(server.child, server.port, server.exited, server.output);
  }

  /** The JSON log lines written so far. */
  logs(): LogLine[] {
    return this.output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Whether this replica leads now, by its last leadership log line, and its lease identity. */
  leadership(): { leading: boolean; identity?: string } {
    const lines = this.logs().filter((l) => l.msg === "started leading" || l.msg === "stopped leading");
    const last = lines.at(-1);
    if (last === undefined) return { leading: false };
    return { leading: last.msg === "started leading", identity: String(last["identity"]) };
  }

  /** Resolves with the lease identity once this replica leads (rejects after `timeoutMs`). */
  async leads(timeoutMs: number): Promise<string> {
    return until(
      "the replica leads",
      () => {
        const { leading, identity } = this.leadership();
        if (!leading || identity === undefined) throw new Error("not leading");
        return identity;
      },
      timeoutMs,
    );
  }

  /** The HTTP status and body of a GET (readyz, healthz, metrics). */
  async probe(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = get(
        { host: "127.0.0.1", port: this.port, path, rejectUnauthorized: false, timeout: 5000 },
        (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer within 5 s`)));
      req.on("error", reject);
    });
  }

  /** One sample of /metrics (0 when the series is absent), e.g. ("cvm_admission_nodes", {verdict: "eligible"}). */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const { body } = await this.probe("/metrics");
    const want = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    for (const line of body.split("\n")) {
      const match = line.match(/^(\w+)(?:\{(.*)\})? (\S+)$/);
      if (match?.[1] !== name) continue;
      const have = (match[2] ?? "").split(",");
      if (want.every((pair) => have.includes(pair))) return Number(match[3]);
    }
    return 0;
  }

  /** Sends `signal`, waits for the exit (SIGKILL after 25 s); returns the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** The end of its output, for a failed test's message. */
  tail(): string {
    return this.output().slice(-4000);
  }
}
