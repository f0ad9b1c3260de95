// End to end through a real API server (kube-mini, $KUBE_MINI): the chart installed as kube-mini can
// hold it, the built server in live mode with the chart's configuration, and kube-apiserver's own
// webhook admission plugins calling it over the Service with the caBundle the leader wrote. Each
// flow is driven with @kubernetes/client-node the way a user or a kubelet would: CVM pods stored
// in the envbox form, nodes labelled by kernel, bindings and exec refused, denial Events stored,
// Pod Security baseline held for every pod of an opted-in namespace (docs/access.md), and a
// replica's SIGTERM drain (README.md, The HTTP interface).
// The tests share one cluster and run in order (a later one uses the nodes and pods of earlier ones).

import { Writable } from "node:stream";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  Exec,
  type V1Container,
  type V1Pod,
} from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KubeApiError, KubeClient } from "../../src/cluster/live/kube-client.js";
import { schemaErrors } from "../support/k8s-schema.js";
import { E2eCluster, NAMES } from "./cluster.js";
import { RELEASE_NAMESPACE } from "./install.js";
import { kubeMiniSkipReason } from "./kube-mini.js";
import type { Replica } from "./replica.js";
import { until } from "./until.js";

if (kubeMiniSkipReason) console.info(`kube-mini end-to-end tests SKIPPED: ${kubeMiniSkipReason}`);

const WORKSPACES = "workspaces";
/** server.drainDelaySeconds of the replica (the chart's 5 s, with room for a loaded machine). */
const DRAIN_DELAY_S = 8;
const SUPERVISOR_IMAGE =
  "ghcr.io/coder/envbox:0.6.7@sha256:93b212e287abeef70a854574dbd0f08df3ad65224f0632d1d5a3f1c0dc87f897";

function cvmPod(name: string, extra: Partial<V1Pod["spec"]> = {}): V1Pod {
  return {
    metadata: { name, labels: { "cvm.dev/enabled": "true" } },
    spec: { containers: [{ name: "dev", image: "ubuntu:24.04", command: ["sleep", "infinity"] }], ...extra },
  };
}

/** A pod without the CVM label: in an opted-in namespace it meets Pod Security baseline or is refused. */
function ordinaryPod(name: string, ...containers: Partial<V1Container>[]): V1Pod {
  const app = { name: "app", image: "nginx:1.27" };
  return {
    metadata: { name },
    spec: { containers: (containers.length > 0 ? containers : [{}]).map((c) => ({ ...app, ...c })) },
  };
}

/** The message of a refused client-node call (an ApiException carries the Status as its body). */
function refusal(err: unknown): { code: number; message: string } {
  const e = err as { code?: number; body?: unknown };
  const body = typeof e.body === "string" ? (JSON.parse(e.body) as { message?: string }) : {};
  return { code: e.code ?? 0, message: body.message ?? String(err) };
}

async function refused(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    return refusal(err);
  }
  throw new Error("the apiserver accepted what should have been refused");
}

describe.skipIf(kubeMiniSkipReason !== undefined)("through kube-mini: admission", () => {
  let cluster: E2eCluster;
  let core: CoreV1Api;
  let replica: Replica;

  beforeAll(async () => {
    cluster = await E2eCluster.start();
    core = cluster.core;
    replica = await cluster.startReplica({ CVM_ADMISSION_SERVER_DRAIN_DELAY_SECONDS: String(DRAIN_DELAY_S) });
    cluster.route(replica);
    await core.createNamespace({
      body: { metadata: { name: WORKSPACES, labels: { "cvm.dev/enabled": "true" } } },
    });
    await core.createNamespace({ body: { metadata: { name: "elsewhere" } } });
  }, 180_000);

  afterEach(async ({ task }) => {
    if (task.result?.state === "fail") console.warn(await cluster.diagnostics());
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("installs: the leader stores the Secret and writes its CA into every webhook's caBundle; ready once mounted", async () => {
    expect(cluster.installed.kinds.sort()).toEqual([
      "ConfigMap",
      "MutatingWebhookConfiguration",
      "Service",
      "ServiceAccount",
      "ValidatingWebhookConfiguration",
    ]);
    // No certificate in the volume yet: alive, not ready.
    expect((await replica.probe("/healthz")).status).toBe(200);
    expect((await replica.probe("/readyz")).status).toBe(503);

    await cluster.mountCertificates();
    const secret = await core.readNamespacedSecret({ name: NAMES.secret, namespace: RELEASE_NAMESPACE });
    expect(secret.type).toBe("kubernetes.io/tls");
    const bundle = secret.data?.["ca.crt"];
    expect(bundle).toBeTruthy();
    const admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const name = NAMES.webhookConfiguration;
    await until("caBundle in every webhook", async () => {
      const hooks = [
        ...(await admission.readMutatingWebhookConfiguration({ name })).webhooks!,
        ...(await admission.readValidatingWebhookConfiguration({ name })).webhooks!,
      ];
      expect(hooks).toHaveLength(3);
      expect(hooks.map((h) => h.clientConfig.caBundle)).toEqual(hooks.map(() => bundle));
    });
    await until("readyz 200", async () => expect((await replica.probe("/readyz")).status).toBe(200));
    // The apiserver's webhook plugins see configurations through an informer: once a dry run of a
    // CVM pod comes back mutated, the whole chain (Service, TLS with the caBundle) answers.
    await until("the apiserver calls the webhook", async () => {
      const dryRun = await core.createNamespacedPod({
        namespace: WORKSPACES,
        body: cvmPod("probe"),
        dryRun: "All",
      });
      expect(dryRun.spec?.containers[0]?.name).toBe("cvm-supervisor");
    });
  });

  it("labels nodes by kernel on the leader, and relabels a node whose kernel changed", async () => {
    await cluster.createNode("node-new", "6.8.0-1059-azure");
    await cluster.createNode("node-old", "4.14.0-1.el7.x86_64");
    const labelled = await cluster.nodeLabelled("node-new", "true");
    expect(labelled.metadata?.annotations?.["cvm.dev/eligibility"]).toMatch(/^eligible: /);
    const old = await cluster.nodeLabelled("node-old", "false");
    expect(old.metadata?.annotations?.["cvm.dev/eligibility"]).toMatch(/^below-minimum: .*4\.14/);

    await cluster.setKernel("node-old", "5.15.0-119-generic");
    const rebooted = await cluster.nodeLabelled("node-old", "true");
    expect(rebooted.metadata?.annotations?.["cvm.dev/eligibility"]).toMatch(/^eligible: .*5\.15/);
    // node-old stays below the minimum for the binding test
    await cluster.setKernel("node-old", "4.14.0-1.el7.x86_64");
    await cluster.nodeLabelled("node-old", "false");
  });

  it("stores a CVM pod in the envbox form", async () => {
    const stored = await core.createNamespacedPod({ namespace: WORKSPACES, body: cvmPod("cvm-1") });
    const containers = stored.spec!.containers;
    expect(containers.map((c) => c.name)).toEqual(["cvm-supervisor"]);
    expect(containers[0]!.image).toBe(SUPERVISOR_IMAGE);
    expect(containers[0]!.securityContext?.privileged).toBe(true);
    const env = Object.fromEntries((containers[0]!.env ?? []).map((e) => [e.name, e.value]));
    expect(env["CODER_INNER_IMAGE"]).toBe("ubuntu:24.04");
    const terms =
      stored.spec!.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    expect(JSON.stringify(terms)).toContain('"key":"cvm.dev/eligible"');
    expect(stored.metadata?.labels?.["cvm.dev/enabled"]).toBe("true");
    // As the apiserver stored it (its defaults included), still a valid 1.35 Pod.
    const wire = JSON.parse(JSON.stringify(stored)) as object; // client-node's Dates back to strings
    expect(schemaErrors({ apiVersion: "v1", kind: "Pod", ...wire })).toEqual([]);
  });

  it("refuses a CVM pod in a namespace that has not opted in, naming the label", async () => {
    const answer = await refused(core.createNamespacedPod({ namespace: "elsewhere", body: cvmPod("cvm-x") }));
    expect(answer).toMatchObject({
      code: 403,
      message: expect.stringContaining('admission webhook "pods.mutate.cvm.dev" denied the request'),
    });
    expect(answer.message).toContain("cvm.dev/enabled");
  });

  it("refuses a binding onto a node below the kernel minimum, stores the denial Event, and binds onto an eligible node", async () => {
    const binding = (node: string) => ({
      metadata: { name: "cvm-1" },
      target: { apiVersion: "v1", kind: "Node", name: node },
    });
    const answer = await refused(
      core.createNamespacedPodBinding({ name: "cvm-1", namespace: WORKSPACES, body: binding("node-old") }),
    );
    expect(answer).toMatchObject({
      code: 403,
      message: expect.stringContaining('admission webhook "pods.validate.cvm.dev" denied the request'),
    });
    expect(answer.message).toMatch(/node-old.*4\.14/);

    const event = await until("the denial Event", async () => {
      const events = await core.listNamespacedEvent({ namespace: WORKSPACES });
      const found = events.items.find(
        (e) =>
          e.reason === "CVMAdmissionDenied" &&
          e.involvedObject.name === "cvm-1" &&
          /node-old/.test(e.message ?? ""),
      );
      if (!found)
        throw new Error(`events: ${events.items.map((e) => `${e.reason}: ${e.message}`).join("; ")}`);
      return found;
    });
    expect(event.type).toBe("Warning");
    expect(event.involvedObject.kind).toBe("Pod");

    await core.createNamespacedPodBinding({
      name: "cvm-1",
      namespace: WORKSPACES,
      body: binding("node-new"),
    });
    expect((await core.readNamespacedPod({ name: "cvm-1", namespace: WORKSPACES })).spec?.nodeName).toBe(
      "node-new",
    );
  });

  it("refuses a dry-run binding too, but records no Event for it (sideEffects: NoneOnDryRun)", async () => {
    await core.createNamespacedPod({ namespace: WORKSPACES, body: cvmPod("cvm-dry") });
    const body = {
      metadata: { name: "cvm-dry" },
      target: { apiVersion: "v1", kind: "Node", name: "node-old" },
    };
    const ref = { name: "cvm-dry", namespace: WORKSPACES, body };
    expect(await refused(core.createNamespacedPodBinding({ ...ref, dryRun: "All" }))).toMatchObject({
      code: 403,
    });
    expect(await refused(core.createNamespacedPodBinding(ref))).toMatchObject({ code: 403 });
    // Events are written in order: once the real denial's is there, a dry run's would be too.
    const events = await until("the real denial's Event", async () => {
      const list = await core.listNamespacedEvent({ namespace: WORKSPACES });
      const mine = list.items.filter((e) => e.involvedObject.name === "cvm-dry");
      if (mine.length === 0) throw new Error("no Event for cvm-dry yet");
      return mine;
    });
    expect(events).toHaveLength(1);
  });

  it("refuses a binding through the legacy POST /bindings as through pods/binding", async () => {
    await core.createNamespacedPod({ namespace: WORKSPACES, body: cvmPod("cvm-legacy") });
    const answer = await refused(
      core.createNamespacedBinding({
        namespace: WORKSPACES,
        body: {
          metadata: { name: "cvm-legacy" },
          target: { apiVersion: "v1", kind: "Node", name: "node-old" },
        },
      }),
    );
    expect(answer).toMatchObject({ code: 403, message: expect.stringMatching(/node-old.*4\.14/) });
    await core.createNamespacedBinding({
      namespace: WORKSPACES,
      body: {
        metadata: { name: "cvm-legacy" },
        target: { apiVersion: "v1", kind: "Node", name: "node-new" },
      },
    });
    expect((await core.readNamespacedPod({ name: "cvm-legacy", namespace: WORKSPACES })).spec?.nodeName).toBe(
      "node-new",
    );
  });

  it("refuses a CVM pod created straight onto an ineligible node (spec.nodeName)", async () => {
    const answer = await refused(
      core.createNamespacedPod({ namespace: WORKSPACES, body: cvmPod("cvm-2", { nodeName: "node-old" }) }),
    );
    expect(answer).toMatchObject({ code: 403, message: expect.stringMatching(/node-old.*4\.14/) });
  });

  it("refuses tampering with a stored CVM pod: image swap, cvm.dev/* through pods/status, an ephemeral container", async () => {
    const ref = { name: "cvm-1", namespace: WORKSPACES };
    const swap = await refused(
      core.patchNamespacedPod({
        ...ref,
        body: [
          { op: "replace", path: "/spec/containers/0/image", value: "attacker/privileged-shell:latest" },
        ],
      }),
    );
    expect(swap).toMatchObject({ code: 403, message: expect.stringContaining("pods.validate.cvm.dev") });
    // pods/status reaches us only through the chart's CEL matchCondition, when metadata changes.
    const strip = await refused(
      core.patchNamespacedPodStatus({
        ...ref,
        body: [{ op: "remove", path: "/metadata/labels/cvm.dev~1enabled" }],
      }),
    );
    expect(strip).toMatchObject({
      code: 403,
      message: expect.stringContaining("pods-status.validate.cvm.dev"),
    });
    expect(strip.message).toContain("cvm.dev/enabled");
    const debug = await refused(
      core.patchNamespacedPodEphemeralcontainers({
        ...ref,
        body: [
          {
            op: "add",
            path: "/spec/ephemeralContainers",
            value: [{ name: "debugger", image: "busybox:1.36", targetContainerName: "cvm-supervisor" }],
          },
        ],
      }),
    );
    expect(debug).toMatchObject({ code: 403, message: expect.stringContaining("pods.validate.cvm.dev") });
    // A status update that leaves metadata alone is the kubelet's daily traffic: it passes.
    await core.patchNamespacedPodStatus({
      ...ref,
      body: [{ op: "add", path: "/status/conditions", value: [{ type: "Ready", status: "False" }] }],
    });
    const stored = await core.readNamespacedPod(ref);
    expect(stored.spec?.containers[0]?.image).toBe(SUPERVISOR_IMAGE);
    expect(stored.metadata?.labels?.["cvm.dev/enabled"]).toBe("true");
    expect(stored.spec?.ephemeralContainers ?? []).toEqual([]);
  });

  it("refuses an ordinary pod past Pod Security baseline in an opted-in namespace, naming each control", async () => {
    const answer = await refused(
      core.createNamespacedPod({
        namespace: WORKSPACES,
        body: ordinaryPod("host-port", {
          ports: [{ containerPort: 80, hostPort: 8080 }],
          securityContext: { seccompProfile: { type: "Unconfined" } },
        }),
      }),
    );
    expect(answer).toMatchObject({
      code: 403,
      message: expect.stringContaining('admission webhook "pods.validate.cvm.dev" denied the request'),
    });
    expect(answer.message).toContain('violates PodSecurity "baseline:v1.');
    expect(answer.message).toContain('hostPort (container "app" uses hostPort 8080)');
    expect(answer.message).toContain(
      'seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
    // The same pod within baseline is an ordinary pod like any other (the ephemeral test uses it).
    const stored = await core.createNamespacedPod({ namespace: WORKSPACES, body: ordinaryPod("plain") });
    expect(stored.spec?.containers.map((c) => c.name)).toEqual(["app"]);
  });

  it("refuses a container named istio-proxy that is not Istio's (image, NET_ADMIN); Istio's own passes", async () => {
    const proxy = (image: string) =>
      ordinaryPod(
        "meshed",
        {},
        { name: "istio-proxy", image, securityContext: { capabilities: { add: ["NET_ADMIN"] } } },
      );
    const answer = await refused(
      core.createNamespacedPod({
        namespace: WORKSPACES,
        body: proxy("attacker.example/istio/proxyv2:1.27.0"),
      }),
    );
    expect(answer).toMatchObject({ code: 403, message: expect.stringContaining("pods.validate.cvm.dev") });
    expect(answer.message).toContain(
      'non-default capabilities (container "istio-proxy" must not include "NET_ADMIN" in securityContext.capabilities.add)',
    );
    expect(answer.message).toContain("not from istio.proxyImageRepositories");
    // The injector's shape from Istio's hub keeps NET_ADMIN (a dry run: the webhook is still called).
    const istio = await core.createNamespacedPod({
      namespace: WORKSPACES,
      body: proxy("docker.io/istio/proxyv2:1.27.0"),
      dryRun: "All",
    });
    expect(istio.spec?.containers[1]?.securityContext?.capabilities?.add).toEqual(["NET_ADMIN"]);
  });

  it("refuses a privileged ephemeral container on an ordinary pod, naming the control; a baseline one is added", async () => {
    const ref = { name: "plain", namespace: WORKSPACES };
    const debug = (securityContext: V1Container["securityContext"]) =>
      core.patchNamespacedPodEphemeralcontainers({
        ...ref,
        body: [
          {
            op: "add",
            path: "/spec/ephemeralContainers",
            value: [{ name: "debugger", image: "busybox:1.36", targetContainerName: "app", securityContext }],
          },
        ],
      });
    const answer = await refused(debug({ privileged: true }));
    expect(answer).toMatchObject({
      code: 403,
      message: expect.stringContaining('admission webhook "pods.validate.cvm.dev" denied the request'),
    });
    expect(answer.message).toContain(
      `adding ephemeral container debugger (kubectl debug) to pod ${WORKSPACES}/plain`,
    );
    expect(answer.message).toContain(
      'privileged (container "debugger" must not set securityContext.privileged=true)',
    );
    expect((await core.readNamespacedPod(ref)).spec?.ephemeralContainers ?? []).toEqual([]);

    const added = await debug({ allowPrivilegeEscalation: false });
    expect(added.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(["debugger"]);
  });

  it("refuses a binding carrying a cvm.dev/* annotation (the apiserver would copy it onto the pod); one without binds", async () => {
    const stored = await core.createNamespacedPod({ namespace: WORKSPACES, body: cvmPod("cvm-annotated") });
    const mutated = stored.metadata?.annotations?.["cvm.dev/mutated"];
    expect(mutated).toBeTruthy();
    const binding = (annotations: Record<string, string>) => ({
      name: "cvm-annotated",
      namespace: WORKSPACES,
      body: {
        metadata: { name: "cvm-annotated", annotations },
        target: { apiVersion: "v1", kind: "Node", name: "node-new" },
      },
    });
    const answer = await refused(
      core.createNamespacedPodBinding(binding({ "cvm.dev/mutated": "forged", "example.com/by": "e2e" })),
    );
    expect(answer).toMatchObject({
      code: 403,
      message: expect.stringContaining('admission webhook "pods.validate.cvm.dev" denied the request'),
    });
    expect(answer.message).toContain(
      `binding of pod ${WORKSPACES}/cvm-annotated refused: it carries annotation "cvm.dev/mutated"`,
    );

    await core.createNamespacedPodBinding(binding({ "example.com/by": "e2e" }));
    const bound = await core.readNamespacedPod({ name: "cvm-annotated", namespace: WORKSPACES });
    expect(bound.spec?.nodeName).toBe("node-new");
    expect(bound.metadata?.annotations?.["example.com/by"]).toBe("e2e"); // copied, as kube-apiserver does
    expect(bound.metadata?.annotations?.["cvm.dev/mutated"]).toBe(mutated);
  });

  it("refuses exec into the CVM pod's supervisor through CONNECT admission, and records it", async () => {
    // client-node's Exec (a WebSocket, as kubectl's) sees the 403 before any upgrade...
    const exec = new Exec(cluster.kubeConfig);
    const sink = () => new Writable({ write: (_c, _e, done) => done() });
    const failure = await exec
      .exec(WORKSPACES, "cvm-1", "cvm-supervisor", ["sh"], sink(), sink(), null, false)
      .then(
        (socket) => {
          socket.close();
          return "exec was let through";
        },
        (err: { message?: string }) => String(err.message),
      );
    expect(failure).toContain("Unexpected server response: 403");
    // ...and the same CONNECT as a plain POST shows whose denial it is (admitted, it would end at
    // kube-mini's 503 "no kubelet").
    const client = new KubeClient(cluster.kubeConfig);
    const denial = await client
      .request("POST", `/api/v1/namespaces/${WORKSPACES}/pods/cvm-1/exec`, {
        query: { command: "sh", container: "cvm-supervisor", stdout: "true" },
        timeoutMs: 10_000,
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(denial).toBeInstanceOf(KubeApiError);
    expect((denial as KubeApiError).status).toBe(403);
    expect((denial as KubeApiError).message).toContain(
      'admission webhook "pods.validate.cvm.dev" denied the request',
    );
    await until("the exec denial Event", async () => {
      const events = await core.listNamespacedEvent({ namespace: WORKSPACES });
      if (!events.items.some((e) => e.reason === "CVMAdmissionDenied" && /exec/i.test(e.message ?? "")))
        throw new Error(`events: ${events.items.map((e) => e.message).join("; ")}`);
    });
  });

  it("a replica sent SIGTERM keeps answering through the apiserver for its drain delay while /readyz is 503, then exits 0", async () => {
    // The last test: it stops the file's only replica. The Service keeps routing to it, as kube-proxy
    // does until the endpoint's removal reaches it (what the drain delay is for).
    const signalled = Date.now();
    let exitedAt: number | undefined;
    const stopping = cluster.stopReplica(replica, "SIGTERM").then((code) => {
      exitedAt = Date.now();
      return code;
    });
    await until("readyz 503", async () => expect((await replica.probe("/readyz")).status).toBe(503), 5_000);

    const mutated = await core.createNamespacedPod({
      namespace: WORKSPACES,
      body: cvmPod("drain"),
      dryRun: "All",
    });
    expect(mutated.spec?.containers[0]?.name).toBe("cvm-supervisor");
    const placement = await refused(
      core.createNamespacedPod({
        namespace: WORKSPACES,
        body: cvmPod("drain", { nodeName: "node-old" }),
        dryRun: "All",
      }),
    );
    expect(placement).toMatchObject({ code: 403, message: expect.stringMatching(/node-old.*4\.14/) });
    expect((await replica.probe("/readyz")).status).toBe(503);
    expect(exitedAt).toBeUndefined();

    expect(await stopping).toBe(0);
    expect(exitedAt! - signalled).toBeGreaterThanOrEqual(DRAIN_DELAY_S * 1000);
    const shutdown = replica.logs().find((line) => line.msg?.startsWith("shutting down"));
    expect(shutdown?.["drainDelaySeconds"]).toBe(DRAIN_DELAY_S);
    // With no replica left behind the Service, the apiserver fails closed (failurePolicy: Fail).
    const closed = await refused(
      core.createNamespacedPod({ namespace: WORKSPACES, body: cvmPod("after-drain") }),
    );
    expect(closed.message).toContain('failed calling webhook "pods.mutate.cvm.dev"');
  }, 60_000);
});
