// A fake Kubernetes apiserver on loopback HTTPS, for what a real one cannot be made to do on cue.
// The real flows run against kube-mini in test/e2e (a real apiserver on etcd, $KUBE_MINI); this
// fake stays for: a watch dropped or stalled mid-stream while the server lives on, slow answers
// and failing requests (500) at chosen moments, a server that expires every watch right after a
// relist, a RuntimeClass (node.k8s.io, which kube-mini does not serve), and a record of every
// request, so tests can say what our code sent (each node written once, metadata only, one
// direct read on a miss). It speaks the parts of the protocol our live cluster code uses, as the
// apiserver does: paged lists with resourceVersion and continue tokens, chunked watch streams from a
// resourceVersion (ADDED/MODIFIED/DELETED, label selectors with objects entering and leaving
// them, BOOKMARK events when asked for, ERROR 410 Expired once history is compacted), GET, POST,
// PUT with optimistic concurrency (409 Conflict), merge PATCH and DELETE, bearer-token auth.
// Faults are injected on purpose: dropped watch connections, stalled watches, slow responses,
// failing requests, and compaction. It is reusable for benchmarks (thousands of nodes, events).

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { testTlsPair } from "./tls.js";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: unknown;
  };
  [key: string]: unknown;
}

interface ResourceType {
  group: string;
  version: string;
  namespaced: boolean;
  kind: string;
}

/** The resources the fake knows, by plural name. */
const RESOURCES: Record<string, ResourceType> = {
  nodes: { group: "", version: "v1", namespaced: false, kind: "Node" },
  namespaces: { group: "", version: "v1", namespaced: false, kind: "Namespace" },
  pods: { group: "", version: "v1", namespaced: true, kind: "Pod" },
  events: { group: "", version: "v1", namespaced: true, kind: "Event" },
  leases: { group: "coordination.k8s.io", version: "v1", namespaced: true, kind: "Lease" },
  runtimeclasses: { group: "node.k8s.io", version: "v1", namespaced: false, kind: "RuntimeClass" },
  mutatingwebhookconfigurations: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    namespaced: false,
    kind: "MutatingWebhookConfiguration",
  },
  validatingwebhookconfigurations: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    namespaced: false,
    kind: "ValidatingWebhookConfiguration",
  },
};

interface HistoryEntry {
  rv: number;
  resource: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
  previous?: KubeObject;
}

interface Watcher {
  resource: string;
  namespace?: string;
  selector: (labels: Record<string, string>) => boolean;
  bookmarks: boolean;
  res: ServerResponse;
  stalled: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
}

interface Failure {
  status: number;
  remaining: number;
  match: (r: RequestRecord) => boolean;
}

export interface FakeApiServer {
  readonly url: string;
  /** A kubeconfig for this server (CA + bearer token), also written to `kubeconfigPath`. */
  readonly kubeconfigPath: string;
  kubeConfig(): KubeConfig;
  /** Every request served, in order. */
  readonly requests: RequestRecord[];
  /** Creates or replaces an object (ADDED or MODIFIED to watchers); returns the stored copy. */
  put(resource: string, object: object): KubeObject;
  /** Deletes an object (DELETED to watchers); false when absent. */
  remove(resource: string, name: string, namespace?: string): boolean;
  get(resource: string, name: string, namespace?: string): KubeObject | undefined;
  list(resource: string): KubeObject[];
  resourceVersion(): number;
  /** Forgets all history: a watch resuming from an older resourceVersion gets 410 Expired. */
  compact(): void;
  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for them. */
  bookmark(): void;
  /** Destroys the socket of every open watch (a dropped connection, no terminating chunk). */
  dropWatches(): number;
  /** Open watches go silent (a stalled proxy): no events, no bookmarks, no end at timeoutSeconds. */
  stallWatches(): void;
  /** Ends every open watch cleanly, as the apiserver does at timeoutSeconds. */
  endWatches(): void;
  openWatches(resource?: string): number;
  /** The next `count` requests that match answer `status` (a Status body). */
  failNext(count: number, status: number, match?: (r: RequestRecord) => boolean): void;
  /** Every response (list, get, write; watch headers) waits this long first. */
  delayMs: number;
  /** Answer an expired watch with HTTP 410 instead of an ERROR event (both happen in practice). */
  expiredAsHttpStatus: boolean;
  close(): Promise<void>;
}

export interface FakeApiServerOptions {
  token?: string;
  /** Validates created/updated objects (e.g. schemaErrors); errors answer 422. */
  validate?: (resource: string, object: KubeObject) => string[];
}

function parseSelector(selector: string | undefined): (labels: Record<string, string>) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(",").map((term) => {
    const neq = /^([^!=]+)!=(.*)$/.exec(term);
    if (neq) return (l: Record<string, string>) => l[neq[1]!] !== neq[2];
    const eq = /^([^!=]+)==?(.*)$/.exec(term);
    if (eq) return (l: Record<string, string>) => l[eq[1]!] === eq[2];
    if (term.startsWith("!")) return (l: Record<string, string>) => !(term.slice(1) in l);
    return (l: Record<string, string>) => term in l;
  });
  return (labels) => terms.every((t) => t(labels));
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** The apiserver parses MicroTime with exactly six fractional digits (metav1.RFC3339Micro). */
function microTimeErrors(object: KubeObject): string[] {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  return ["acquireTime", "renewTime"]
    .filter(
      (f) => spec[f] !== undefined && !(typeof spec[f] === "string" && MICRO_TIME.test(spec[f] as string)),
    )
    .map(
      (f) => `spec.${f}: ${JSON.stringify(spec[f])} is not a MicroTime (RFC3339 with 6 fractional digits)`,
    );
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message }));
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  404: "NotFound",
  409: "Conflict",
  410: "Expired",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const token = options.token ?? "fake-apiserver-token";
  const tls = await testTlsPair();
  const stores = new Map<string, Map<string, KubeObject>>(Object.keys(RESOURCES).map((r) => [r, new Map()]));
  let history: HistoryEntry[] = [];
  let rv = 1;
  let compactedBelow = 0;
  const watchers = new Set<Watcher>();
  const failures: Failure[] = [];
  const requests: RequestRecord[] = [];
  /** The items of a paged list as of its first page, by continue-token id (a consistent snapshot). */
  const snapshots = new Map<string, KubeObject[]>();

  const keyOf = (name: string, namespace?: string) => (namespace ? `${namespace}/${name}` : name);
  const storeOf = (resource: string) => stores.get(resource)!;
  const labelsOf = (o: KubeObject | undefined) => o?.metadata?.labels ?? {};

  function send(w: Watcher, type: string, object: KubeObject): void {
    if (!w.stalled && !w.res.destroyed) w.res.write(JSON.stringify({ type, object }) + "\n");
  }

  function deliver(w: Watcher, e: HistoryEntry): void {
    if (e.resource !== w.resource) return;
    if (w.namespace && e.object.metadata?.namespace !== w.namespace) return;
    const now = w.selector(labelsOf(e.object));
    const before = e.previous !== undefined && w.selector(labelsOf(e.previous));
    if (e.type === "DELETED") {
      if (now) send(w, "DELETED", e.object);
    } else if (now && before) send(w, "MODIFIED", e.object);
    else if (now) send(w, "ADDED", e.object);
    else if (before) send(w, "DELETED", e.object); // left the selector
  }

  function record(
    resource: string,
    type: HistoryEntry["type"],
    object: KubeObject,
    previous?: KubeObject,
  ): void {
    const entry: HistoryEntry = { rv, resource, type, object, ...(previous ? { previous } : {}) };
    history.push(entry);
    for (const w of watchers) deliver(w, entry);
  }

  function stamp(resource: string, object: KubeObject): KubeObject {
    const type = RESOURCES[resource]!;
    rv++;
    const stored = structuredClone(object);
    stored.apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    stored.kind = type.kind;
    stored.metadata = { ...stored.metadata, resourceVersion: String(rv) };
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
    return stored;
  }

  function put(resource: string, given: object): KubeObject {
    const object = given as KubeObject;
    const meta = object.metadata ?? {};
    const key = keyOf(meta.name ?? "", meta.namespace);
    const previous = storeOf(resource).get(key);
    const stored = stamp(resource, object);
    if (previous?.metadata?.uid) stored.metadata!.uid = previous.metadata.uid;
    storeOf(resource).set(key, stored);
    record(resource, previous ? "MODIFIED" : "ADDED", stored, previous);
    return stored;
  }

  function remove(resource: string, name: string, namespace?: string): boolean {
    const key = keyOf(name, namespace);
    const previous = storeOf(resource).get(key);
    if (!previous) return false;
    storeOf(resource).delete(key);
    rv++;
    const gone = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    record(resource, "DELETED", gone, previous);
    return true;
  }

  function matching(
    resource: string,
    namespace: string | undefined,
    selector: ReturnType<typeof parseSelector>,
  ) {
    return [...storeOf(resource).entries()]
      .filter(([, o]) => (!namespace || o.metadata?.namespace === namespace) && selector(labelsOf(o)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  function serveList(
    res: ServerResponse,
    resource: string,
    namespace: string | undefined,
    q: Record<string, string>,
  ) {
    let listRv = rv;
    let start = 0;
    let items: KubeObject[];
    if (q["continue"]) {
      const token = JSON.parse(Buffer.from(q["continue"], "base64").toString()) as {
        id: string;
        rv: number;
        start: number;
      };
      const snapshot = snapshots.get(token.id);
      if (token.rv < compactedBelow || snapshot === undefined) {
        status(
          res,
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result.",
        );
        return;
      }
      listRv = token.rv;
      start = token.start;
      items = snapshot;
    } else {
      items = matching(resource, namespace, parseSelector(q["labelSelector"]));
    }
    const limit = q["limit"] ? Number(q["limit"]) : Infinity;
    const page = items.slice(start, start + limit);
    const more = start + limit < items.length;
    const id = randomUUID();
    if (more) snapshots.set(id, items);
    const type = RESOURCES[resource]!;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        kind: `${type.kind}List`,
        apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
        metadata: {
          resourceVersion: String(listRv),
          ...(more
            ? {
                continue: Buffer.from(JSON.stringify({ id, rv: listRv, start: start + limit })).toString(
                  "base64",
                ),
              }
            : {}),
        },
        // Items of a typed list carry no kind/apiVersion, as the apiserver sends them.
        items: page.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
      }),
    );
  }

  function serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    resource: string,
    namespace: string | undefined,
    q: Record<string, string>,
  ) {
    const from = q["resourceVersion"] ? Number(q["resourceVersion"]) : undefined;
    if (from !== undefined && from !== 0 && from < compactedBelow) {
      if (api.expiredAsHttpStatus) {
        status(res, 410, "Expired", `too old resource version: ${from} (${compactedBelow})`);
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      const gone = {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        message: `too old resource version: ${from} (${compactedBelow})`,
        reason: "Expired",
        code: 410,
      };
      res.end(JSON.stringify({ type: "ERROR", object: gone }) + "\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const w: Watcher = {
      resource,
      ...(namespace ? { namespace } : {}),
      selector: parseSelector(q["labelSelector"]),
      bookmarks: q["allowWatchBookmarks"] === "true",
      res,
      stalled: false,
    };
    if (from === undefined || from === 0) {
      for (const o of matching(resource, namespace, w.selector)) send(w, "ADDED", o);
    } else {
      for (const e of history) if (e.rv > from) deliver(w, e);
    }
    watchers.add(w);
    const timeout = q["timeoutSeconds"] ? Number(q["timeoutSeconds"]) * 1000 : undefined;
    // A stalled watch does not even end at its timeout: only the client's idle deadline gets out.
    const timer = timeout === undefined ? undefined : setTimeout(() => w.stalled || res.end(), timeout);
    const forget = () => {
      clearTimeout(timer);
      watchers.delete(w);
    };
    res.on("close", forget);
    req.on("close", forget);
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  }

  function invalid(resource: string, object: KubeObject): string[] {
    return [...microTimeErrors(object), ...(options.validate?.(resource, object) ?? [])];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://fake");
    const query = Object.fromEntries(url.searchParams);
    const rec: RequestRecord = { method: req.method ?? "GET", path: url.pathname, query };
    requests.push(rec);
    if (req.headers.authorization !== `Bearer ${token}`)
      return status(res, 401, "Unauthorized", "Unauthorized");
    if (api.delayMs > 0) await new Promise((r) => setTimeout(r, api.delayMs));
    const failure = failures.find((f) => f.remaining > 0 && f.match(rec));
    if (failure) {
      failure.remaining--;
      return status(
        res,
        failure.status,
        REASONS[failure.status] ?? "Failure",
        `injected failure ${failure.status}`,
      );
    }

    // /api/v1/... or /apis/GROUP/VERSION/...; then [namespaces/NS/]RESOURCE[/NAME]
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
    let namespace: string | undefined;
    let resource = rest[0];
    let name = rest[1];
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      resource = rest[2];
      name = rest[3];
    }
    const type = resource === undefined ? undefined : RESOURCES[resource];
    if (!type || rest.length > (namespace ? 4 : 2))
      return status(res, 404, "NotFound", `no route ${url.pathname}`);
    const store = storeOf(resource!);
    const key = name === undefined ? undefined : keyOf(name, type.namespaced ? namespace : undefined);

    switch (req.method) {
      case "GET":
        if (key === undefined) {
          if (query["watch"] === "true" || query["watch"] === "1")
            return serveWatch(req, res, resource!, namespace, query);
          return serveList(res, resource!, namespace, query);
        }
        if (!store.has(key)) return status(res, 404, "NotFound", `${resource} "${name}" not found`);
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify(store.get(key)));
      case "POST": {
        const body = (await readBody(req)) as KubeObject;
        const meta = (body.metadata ??= {});
        if (!meta.name && meta.generateName) meta.name = meta.generateName + randomUUID().slice(0, 5);
        if (type.namespaced) meta.namespace = namespace;
        const errors = invalid(resource!, body);
        if (errors.length > 0) return status(res, 422, "Invalid", errors.join("; "));
        if (store.has(keyOf(meta.name ?? "", meta.namespace)))
          return status(res, 409, "AlreadyExists", `${resource} "${meta.name}" already exists`);
        const created = put(resource!, body);
        res.writeHead(201, { "content-type": "application/json" });
        return void res.end(JSON.stringify(created));
      }
      case "PUT": {
        const body = (await readBody(req)) as KubeObject;
        const current = key === undefined ? undefined : store.get(key);
        if (!current) return status(res, 404, "NotFound", `${resource} "${name}" not found`);
        const expected = body.metadata?.resourceVersion;
        if (expected && expected !== current.metadata?.resourceVersion)
          return status(
            res,
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified`,
          );
        const errors = invalid(resource!, body);
        if (errors.length > 0) return status(res, 422, "Invalid", errors.join("; "));
        const updated = put(resource!, {
          ...body,
          metadata: { ...body.metadata, name, ...(type.namespaced ? { namespace } : {}) },
        });
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify(updated));
      }
      case "PATCH": {
        const contentType = req.headers["content-type"] ?? "";
        if (!contentType.startsWith("application/merge-patch+json"))
          return status(
            res,
            415,
            "UnsupportedMediaType",
            `the fake apiserver only takes merge patches, not ${contentType}`,
          );
        const current = key === undefined ? undefined : store.get(key);
        if (!current) return status(res, 404, "NotFound", `${resource} "${name}" not found`);
        const patched = mergePatch(current, await readBody(req)) as KubeObject;
        const errors = invalid(resource!, patched);
        if (errors.length > 0) return status(res, 422, "Invalid", errors.join("; "));
        const updated = put(resource!, patched);
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify(updated));
      }
      case "DELETE":
        if (key === undefined || !remove(resource!, name!, type.namespaced ? namespace : undefined))
          return status(res, 404, "NotFound", `${resource} "${name}" not found`);
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Success" }));
      default:
        return status(res, 405, "MethodNotAllowed", `${req.method} not supported`);
    }
  }

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) status(res, 400, "BadRequest", err.message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigText = JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "fake",
        cluster: { server: url, "certificate-authority-data": Buffer.from(tls.ca).toString("base64") },
      },
    ],
    users: [{ name: "fake", user: { token } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "fake" } }],
    "current-context": "fake",
  });
  const kubeconfigDir = mkdtempSync(join(tmpdir(), "fake-apiserver-"));
  const kubeconfigPath = join(kubeconfigDir, "kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfigText);

  const api: FakeApiServer = {
    url,
    kubeconfigPath,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigText);
      return kc;
    },
    requests,
    put,
    remove,
    get: (resource, name, namespace) => storeOf(resource).get(keyOf(name, namespace)),
    list: (resource) => [...storeOf(resource).values()],
    resourceVersion: () => rv,
    compact() {
      history = [];
      snapshots.clear();
      compactedBelow = rv;
    },
    bookmark() {
      for (const w of watchers) {
        if (!w.bookmarks) continue;
        const type = RESOURCES[w.resource]!;
        send(w, "BOOKMARK", {
          kind: type.kind,
          apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
          metadata: { resourceVersion: String(rv) },
        });
      }
    },
    dropWatches() {
      const open = [...watchers];
      for (const w of open) w.res.socket?.destroy();
      return open.length;
    },
    stallWatches() {
      for (const w of watchers) w.stalled = true;
    },
    endWatches() {
      for (const w of [...watchers]) w.res.end();
    },
    openWatches: (resource) => [...watchers].filter((w) => !resource || w.resource === resource).length,
    failNext(count, code, match = () => true) {
      failures.push({ status: code, remaining: count, match });
    },
    delayMs: 0,
    expiredAsHttpStatus: false,
    async close() {
      for (const w of watchers) w.res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(kubeconfigDir, { recursive: true, force: true });
    },
  };
  return api;
}
