// The Kubernetes adapters of self-managed certificates against a fake apiserver: a small HTTPS
// server on loopback that keeps Secrets, webhook configurations and EndpointSlices in memory and
// answers like kube-apiserver (404, 409 on a stale resourceVersion, JSON patch with test ops).
// No real apiserver can run here; the client side (@kubernetes/client-node) is the real one.

import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import jsonPatch from "fast-json-patch";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateCertificateSet } from "../../src/certs/files.js";
import { sameCertificates } from "../../src/certs/inspect.js";
import {
  readyReplicas,
  secretStore,
  startSelfManagedCertificates,
  webhookCaBundles,
} from "../../src/certs/kube.js";
import { defaultConfig } from "../../src/config/load.js";
import { nextCertificates } from "../../src/certs/rotation.js";
import { schemaErrors } from "../support/k8s-schema.js";

const NS = "cvm-system";
type Obj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string };
};

const state = {
  objects: new Map<string, Obj>(),
  requests: [] as {
    method: string;
    path: string;
    contentType: string | undefined;
    auth: string | undefined;
  }[],
  version: 1,
};
const secretPath = (name: string) => `/api/v1/namespaces/${NS}/secrets/${name}`;
const webhookPath = (kind: "mutating" | "validating") =>
  `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/cvm-admission`;
const slicesPath = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;

function webhookConfiguration(kind: string, name: string): Obj {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind,
    metadata: { name: "cvm-admission" },
    webhooks: [
      {
        name,
        admissionReviewVersions: ["v1"],
        sideEffects: "NoneOnDryRun",
        clientConfig: { service: { name: "cvm-admission", namespace: NS, path: "/x", port: 443 } },
      },
    ],
  };
}

let server: Server;
let kubeConfig: KubeConfig;

beforeAll(async () => {
  const tls = await generateCertificateSet({
    serviceName: "apiserver",
    namespace: "fake",
    ipAddresses: ["127.0.0.1"],
  });
  server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url!, "https://fake");
      state.requests.push({
        method: req.method!,
        path: url.pathname,
        contentType: req.headers["content-type"],
        auth: req.headers.authorization,
      });
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      const reply = (code: number, obj: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(obj));
      };
      const status = (code: number, reason: string) =>
        reply(code, { kind: "Status", apiVersion: "v1", status: "Failure", code, reason });
      const key = url.pathname;
      const existing = state.objects.get(key);
      if (req.method === "GET" && key === slicesPath) {
        const items = [...state.objects.entries()]
          .filter(([k]) => k.startsWith(slicesPath + "/"))
          .map(([, v]) => v);
        return reply(200, {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSliceList",
          metadata: {},
          items,
        });
      }
      if (req.method === "GET") return existing ? reply(200, existing) : status(404, "NotFound");
      if (req.method === "POST") {
        const path = `${key}/${body.metadata.name}`;
        if (state.objects.has(path)) return status(409, "AlreadyExists");
        const created = { ...body, metadata: { ...body.metadata, resourceVersion: String(state.version++) } };
        state.objects.set(path, created);
        return reply(201, created);
      }
      if (!existing) return status(404, "NotFound");
      if (req.method === "PUT") {
        if (body.metadata.resourceVersion !== existing.metadata.resourceVersion)
          return status(409, "Conflict");
        const replaced = {
          ...body,
          metadata: { ...body.metadata, resourceVersion: String(state.version++) },
        };
        state.objects.set(key, replaced);
        return reply(200, replaced);
      }
      if (req.method === "PATCH") {
        try {
          const patched = jsonPatch.applyPatch(structuredClone(existing), body, true, false)
            .newDocument as Obj;
          patched.metadata.resourceVersion = String(state.version++);
          state.objects.set(key, patched);
          return reply(200, patched);
        } catch {
          return status(422, "Invalid");
        }
      }
      return status(405, "MethodNotAllowed");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "fake",
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caData: Buffer.from(tls.caPem).toString("base64"),
      },
    ],
    users: [{ name: "webhook", token: "service-account-token" }],
    contexts: [{ name: "fake", cluster: "fake", user: "webhook" }],
    currentContext: "fake",
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  state.objects.clear();
  state.requests.length = 0;
  state.objects.set(
    webhookPath("mutating"),
    webhookConfiguration("MutatingWebhookConfiguration", "pods.mutate.cvm.dev"),
  );
  state.objects.set(
    webhookPath("validating"),
    webhookConfiguration("ValidatingWebhookConfiguration", "pods.validate.cvm.dev"),
  );
});

const identity = { serviceName: "cvm-admission", namespace: NS };

describe("Kubernetes adapters for self-managed certificates", () => {
  it("stores the certificates in a kubernetes.io/tls Secret, creating it once and replacing it by resourceVersion", async () => {
    const store = secretStore(kubeConfig, NS, "cvm-admission-tls");
    expect(await store.read()).toBeUndefined();
    const first = (
      await nextCertificates(undefined, identity, {
        now: new Date(),
        webhooksTrustBundle: false,
        servedFingerprints: undefined,
      })
    ).certificates;
    await store.write(first);
    const secret = state.objects.get(secretPath("cvm-admission-tls"))!;
    expect(schemaErrors(secret)).toEqual([]);
    expect(secret["type"]).toBe("kubernetes.io/tls");
    expect(Object.keys(secret["data"] as object).sort()).toEqual([
      "ca.crt",
      "issuer.crt",
      "issuer.key",
      "tls.crt",
      "tls.key",
    ]);
    expect(await store.read()).toEqual(first);

    const renewed = { ...first, serving: { ...first.serving, certPem: first.issuer.certPem } };
    await store.write(renewed);
    expect(state.requests.filter((r) => r.method !== "GET").map((r) => r.method)).toEqual(["POST", "PUT"]);
    expect(state.requests.every((r) => r.auth === "Bearer service-account-token")).toBe(true);

    // Someone else changed the Secret since our read: the write is refused, not blindly overwritten.
    (
      state.objects.get(secretPath("cvm-admission-tls"))!.metadata as { resourceVersion: string }
    ).resourceVersion = "999";
    await expect(store.write(first)).rejects.toThrow(/409|Conflict/);
  });

  it("reads and JSON-patches caBundle in both webhook configurations", async () => {
    const webhooks = webhookCaBundles(kubeConfig, "cvm-admission");
    expect(await webhooks.read()).toEqual(["", ""]);
    const { caPem } = await generateCertificateSet(identity);
    await webhooks.patch(caPem);
    const bundles = await webhooks.read();
    expect(bundles).toHaveLength(2);
    for (const bundle of bundles) expect(sameCertificates(bundle, caPem)).toBe(true);
    const patches = state.requests.filter((r) => r.method === "PATCH");
    expect(patches.map((r) => r.path)).toEqual([webhookPath("mutating"), webhookPath("validating")]);
    expect(patches.every((r) => r.contentType === "application/json-patch+json")).toBe(true);
    for (const kind of ["mutating", "validating"] as const)
      expect(schemaErrors(state.objects.get(webhookPath(kind))!)).toEqual([]);
  });

  it("lists the ready replicas behind the Service", async () => {
    state.objects.set(`${slicesPath}/cvm-admission-abc`, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "cvm-admission-abc" },
      addressType: "IPv4",
      ports: [{ name: "https", port: 8443, protocol: "TCP" }],
      endpoints: [
        { addresses: ["10.0.0.1"], conditions: { ready: true } },
        { addresses: ["10.0.0.2"], conditions: { ready: false } },
        { addresses: ["10.0.0.3"] },
      ],
    });
    expect(await readyReplicas(kubeConfig, NS, "cvm-admission")).toEqual([
      { host: "10.0.0.1", port: 8443 },
      { host: "10.0.0.3", port: 8443 },
    ]);
  });

  it("a leader pass wired from the config creates the Secret and injects caBundle everywhere", async () => {
    const config = defaultConfig();
    config.certificates.namespace = NS;
    const logger = pino({ level: "silent" });
    const manager = startSelfManagedCertificates({ config, kubeConfig, isLeader: () => true, logger });
    try {
      expect(await manager.reconcile()).toEqual(["created"]);
      const stored = await secretStore(kubeConfig, NS, config.certificates.secretName).read();
      expect(stored).toBeDefined();
      const bundles = await webhookCaBundles(kubeConfig, "cvm-admission").read();
      expect(bundles).toHaveLength(2);
      for (const bundle of bundles) expect(sameCertificates(bundle, stored!.caBundle)).toBe(true);
    } finally {
      manager.close();
    }
    config.certificates.namespace = "";
    const saved = process.env["POD_NAMESPACE"];
    delete process.env["POD_NAMESPACE"];
    try {
      expect(() =>
        startSelfManagedCertificates({ config, kubeConfig, isLeader: () => true, logger }),
      ).toThrow(/certificates.namespace is empty/);
    } finally {
      if (saved !== undefined) process.env["POD_NAMESPACE"] = saved;
    }
  });
});
