// The attack table: every way into the supervisor that admission can see (docs/access.md), the ways
// around each rule, and the legitimate flows that must keep working. One list, run twice: against
// the policies directly (attack-table.test.ts) and over HTTPS through the real server
// (attack-table.https.test.ts). Each case is a real AdmissionRequest with its expected decision.

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { expect } from "vitest";
import { parse as parseYaml } from "yaml";
import type { AdmissionRequest } from "../../../src/kube/admission-review.js";
import type { Config } from "../../../src/config/config.js";
import { BREAK_GLASS_AUDIT_KEY } from "../../../src/policies/access/break-glass.js";
import { transformPod } from "../../../src/policies/cvm/transform.js";
import type { ServerPool, TestServer } from "../../support/server.js";
import { fixturePod as istioFixturePod, injectLikeIstio, INJECT_CASES } from "../istio/support.js";
import {
  bindPod,
  clusterView,
  connect,
  createPod,
  edited,
  fixtureText,
  testConfig,
  updatePod,
  userPod,
  USERS,
  type ViewState,
} from "./support.js";

export interface Expectation {
  allowed: boolean;
  /** Every pattern must match the denial message (denials) or one of the warnings (allowed). */
  says?: RegExp[];
  /** A break-glass use: allowed, with the audit record naming the user. */
  breakGlassBy?: string;
}

export interface AttackCase {
  name: string;
  /** Which of our webhooks the apiserver sends the request to. */
  webhook: "validate" | "mutate";
  request: AdmissionRequest;
  expect: Expectation;
  view?: ViewState;
  config?: (config: Config) => void;
}

/** The server for a case: one per cluster state and config variant, shared by the cases that share them. */
export function serverFor(pool: ServerPool, c: AttackCase): Promise<TestServer> {
  return pool.get(`${c.view ?? "synced"}|${c.config?.toString() ?? ""}`, () => {
    const config = testConfig();
    c.config?.(config);
    return { config, view: clusterView(config, c.view) };
  });
}

/** What cvm-admission's mutation makes of the user's pod: the legitimate CVM pod. */
export function mutatedPod(edit?: (config: Config) => void, pod: V1Pod = userPod()): V1Pod {
  const config = testConfig();
  edit?.(config);
  const result = transformPod(pod, config);
  if (!result.allowed) throw new Error(`fixture user pod does not transform: ${result.reasons.join("; ")}`);
  return result.pod;
}

function supervisorOf(pod: V1Pod): V1Container {
  const supervisor = pod.spec!.containers.find((c) => c.name === "cvm-supervisor");
  if (!supervisor) throw new Error("mutated pod has no cvm-supervisor");
  return supervisor;
}

/** A pod object read from a fixture (Pod or a workload's pod template), placed in a namespace. */
function fixturePod(file: string, namespace: string): V1Pod {
  const obj = parseYaml(fixtureText(file)) as {
    kind: string;
    metadata?: { name?: string };
    spec: { template: V1Pod };
  };
  const pod =
    obj.kind === "Pod" ? (obj as unknown as V1Pod) : { ...obj.spec.template, apiVersion: "v1", kind: "Pod" };
  return { ...pod, metadata: { ...pod.metadata, name: obj.metadata?.name ?? "fixture", namespace } };
}

/** A captured AdmissionReview from a real cluster (test/fixtures/access/*.review.json). */
function capturedRequest(file: string): AdmissionRequest {
  return (JSON.parse(fixtureText(file)) as { request: AdmissionRequest }).request;
}

function plainPod(name: string, edit: (pod: V1Pod) => void = () => {}, namespace = "workspaces"): V1Pod {
  return edited(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace, labels: { app: name } },
      spec: { containers: [{ name: "main", image: "registry.example.com/tool:1" }] },
    },
    edit,
  );
}

/** The pod as Istio's injector leaves it in native-sidecar mode (shape of test/fixtures/istio inject/default). */
function withIstioSidecar(pod: V1Pod): V1Pod {
  return edited(pod, (p) => {
    const image = "docker.io/istio/proxyv2:1.27.0";
    p.metadata!.annotations!["sidecar.istio.io/status"] =
      '{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["istio-envoy"]}';
    p.spec!.initContainers = [
      {
        name: "istio-init",
        image,
        securityContext: {
          capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
          runAsUser: 0,
          runAsNonRoot: false,
        },
      },
      {
        name: "istio-proxy",
        image,
        restartPolicy: "Always",
        securityContext: { capabilities: { drop: ["ALL"] }, runAsUser: 1337, runAsNonRoot: true },
      },
    ];
    p.spec!.volumes!.push({ name: "istio-envoy", emptyDir: { medium: "Memory" } });
  });
}

/** `kubectl debug` (no --copy-to) on `pod`: an ephemeral container with the profile's security context. */
function debug(
  pod: V1Pod,
  securityContext?: V1Container["securityContext"],
  user = USERS.alice,
): AdmissionRequest {
  const after = edited(pod, (p) => {
    p.spec!.ephemeralContainers = [{ name: "debugger-q8x2z", image: "busybox:1.36", stdin: true, tty: true, targetContainerName: p.spec!.containers[0]!.name, ...(securityContext ? { securityContext } : {}) }];
  }); // prettier-ignore
  return updatePod(pod, after, "ephemeralcontainers", user);
}

/** kubectl's debug profiles (kubectl debug --profile), as they set the ephemeral container. */
const PROFILE = {
  sysadmin: { privileged: true },
  netadmin: { capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
  general: { capabilities: { add: ["SYS_PTRACE"] } },
  restricted: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
} satisfies Record<string, V1Container["securityContext"]>; // prettier-ignore

/** An Istio init container as the injector writes it, with another image or additions. */
function istioInit(image: string, edit: (c: V1Container) => void = () => {}): V1Container {
  return edited({ name: "istio-init", image, securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] }, runAsUser: 0, runAsNonRoot: false } }, edit); // prettier-ignore
}

/** A pod of Istio's injector test data (test/fixtures/istio/inject), created in `workspaces`. */
function injectedFixture(path: string, name: string): V1Pod {
  const pod = istioFixturePod(`inject/${path}`);
  return {
    ...pod,
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...pod.metadata, name, namespace: "workspaces" },
  };
}

/** Istio's cases whose own pod meets baseline: host-network-skipped is a hostNetwork pod, and the
 * statefulset's template brings a hostPath volume of its own. */
// Istio's injector test data uses images from the hub registry.istio.io/testing, which those cases
// add to istio.proxyImageRepositories (the key is a list so that deployments, and tests, add hubs).
const INJECTED = INJECT_CASES.filter((c) => !["host-network-skipped", "statefulset"].includes(c.case));

const NOBODY_ENTERS = /CVM pod .* nobody may enter it/;
const FAKE = /opted in to CVMs/;
const TAMPER = /cvm\.dev\/\* labels and annotations are set by cvm-admission/;
const SUPERVISOR_INPUT = /must never reach the privileged supervisor/;

const allowGpu = (c: Config) => {
  c.supervisor.gpu.allowed = true;
};

/** The user's pod asking for a GPU, as any pod does. */
function gpuUserPod(): V1Pod {
  return edited(userPod(), (p) => {
    p.spec!.containers[0]!.resources!.limits!["nvidia.com/gpu"] = "1";
  });
}

export function attackCases(): AttackCase[] {
  const cvm = mutatedPod();
  const gpuCvm = mutatedPod(allowGpu, gpuUserPod());
  const gpuLibraries = (p: V1Pod) => p.spec!.volumes!.find((v) => v.name === "cvm-gpu-libraries")!;
  const cvmWith = (edit: (pod: V1Pod, supervisor: V1Container) => void) =>
    edited(cvm, (pod) => edit(pod, supervisorOf(pod)));
  const web = plainPod("web");
  const deny = (...says: RegExp[]): Expectation => ({ allowed: false, says });
  const allowed = (...says: RegExp[]): Expectation => ({ allowed: true, says });

  return [
    // 1. No way in -------------------------------------------------------------------------------
    { name: "exec into a CVM pod, no container named", webhook: "validate", request: connect("exec", "dev"), expect: deny(/kubectl exec/, NOBODY_ENTERS, /coder ssh/) },
    { name: "exec with an explicitly empty container name", webhook: "validate", request: connect("exec", "dev", { container: "" }), expect: deny(NOBODY_ENTERS) },
    { name: "exec naming the supervisor", webhook: "validate", request: connect("exec", "dev", { container: "cvm-supervisor" }), expect: deny(NOBODY_ENTERS) },
    { name: "exec naming the user's original container", webhook: "validate", request: connect("exec", "dev", { container: "dev" }), expect: deny(NOBODY_ENTERS) },
    { name: "attach", webhook: "validate", request: connect("attach", "dev"), expect: deny(/kubectl attach/, NOBODY_ENTERS) },
    { name: "port-forward to dockerd's port in the pod netns", webhook: "validate", request: connect("portforward", "dev"), expect: deny(/port-forward/, NOBODY_ENTERS) },
    { name: "apiserver pod proxy, name:port form", webhook: "validate", request: connect("proxy", "dev:2375"), expect: deny(/pod proxy into pod workspaces\/dev /, NOBODY_ENTERS) },
    { name: "apiserver pod proxy, scheme:name:port form", webhook: "validate", request: connect("proxy", "https:dev:443"), expect: deny(NOBODY_ENTERS) },
    { name: "apiserver pod proxy, malformed name fails closed", webhook: "validate", request: connect("proxy", "ftp:dev:21"), expect: deny(/fails closed/) },
    { name: "exec while the CVM pod cache has not caught up (direct read answers)", webhook: "validate", request: connect("exec", "dev"), view: "cold-cache", expect: deny(NOBODY_ENTERS) },
    { name: "exec into a pod missing from the cache, direct read fails", webhook: "validate", request: connect("exec", "dev"), view: "unreachable", expect: deny(/cannot tell whether it is a CVM pod/, /fails closed/) },
    { name: "exec into a pod nobody knows", webhook: "validate", request: connect("exec", "ghost"), expect: deny(/fails closed/) },
    { name: "exec by system:masters (admin group not on the break-glass list)", webhook: "validate", request: connect("exec", "dev", { user: USERS.admin }), expect: deny(NOBODY_ENTERS) },
    { name: "exec as a dry run", webhook: "validate", request: connect("exec", "dev", { dryRun: true }), expect: deny(NOBODY_ENTERS) },
    { name: "kubectl debug: ephemeral container added to a CVM pod", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { p.spec!.ephemeralContainers = [{ name: "debugger-x7k2p", image: "busybox", targetContainerName: "cvm-supervisor", securityContext: { privileged: true } }]; }), "ephemeralcontainers"), expect: deny(/ephemeral container debugger-x7k2p/, NOBODY_ENTERS) },
    { name: "ephemeral container through the pre-1.22 EphemeralContainers body", webhook: "validate", request: { ...updatePod(cvm, cvm, "ephemeralcontainers"), kind: { group: "", version: "v1", kind: "EphemeralContainers" }, object: { kind: "EphemeralContainers", apiVersion: "v1", metadata: { name: "dev", namespace: "workspaces" }, ephemeralContainers: [{ name: "dbg", image: "busybox" }] }, oldObject: { kind: "EphemeralContainers", apiVersion: "v1", metadata: { name: "dev", namespace: "workspaces" }, ephemeralContainers: [] } }, expect: deny(/ephemeral container dbg/, NOBODY_ENTERS) },
    { name: "ephemeral container on a CVM pod while stripping its label in the same body", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { delete p.metadata!.labels!["cvm.dev/enabled"]; p.spec!.ephemeralContainers = [{ name: "dbg", image: "busybox" }]; }), "ephemeralcontainers"), expect: deny(NOBODY_ENTERS) },
    // legitimate
    { name: "exec into an ordinary pod of the namespace", webhook: "validate", request: connect("exec", "web"), expect: allowed() },
    { name: "exec in a namespace that has not opted in", webhook: "validate", request: connect("exec", "web", { namespace: "plain" }), expect: allowed() },
    { name: "kubectl debug on an ordinary pod", webhook: "validate", request: updatePod(web, edited(web, (p) => { p.spec!.ephemeralContainers = [{ name: "dbg", image: "busybox" }]; }), "ephemeralcontainers"), expect: allowed() },

    // 6. Break-glass -----------------------------------------------------------------------------
    { name: "break-glass exec by a listed group", webhook: "validate", request: connect("exec", "dev", { user: USERS.oncall }), expect: { allowed: true, says: [/break-glass: kubectl exec .* allowed for oncall as a member of sre-break-glass/], breakGlassBy: "oncall" } },
    { name: "break-glass kubectl debug", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { p.spec!.ephemeralContainers = [{ name: "dbg", image: "busybox" }]; }), "ephemeralcontainers", USERS.oncall), expect: { allowed: true, says: [/break-glass/], breakGlassBy: "oncall" } },
    { name: "break-glass group with the default (empty) list", webhook: "validate", request: connect("exec", "dev", { user: USERS.oncall }), config: (c) => { c.access.breakGlassGroups = []; }, expect: deny(NOBODY_ENTERS) },
    { name: "break-glass does not cover swapping the supervisor image", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.image = "evil.example.com/root:1"; }), undefined, USERS.oncall), expect: deny(/image of cvm-supervisor changed/) },

    // 2. No tampering ----------------------------------------------------------------------------
    { name: "swap the supervisor's image for the user's own", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.image = "registry.example.com/dev:1.2"; })), expect: deny(/image of cvm-supervisor changed from ghcr\.io\/coder\/envbox/, /delete it and create it again/) },
    { name: "remove the opt-in label on UPDATE", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { delete p.metadata!.labels!["cvm.dev/enabled"]; })), expect: deny(/label "cvm\.dev\/enabled" removed/, TAMPER) },
    { name: "rewrite the mutation record", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { p.metadata!.annotations!["cvm.dev/form"] = "runtimeclass"; })), expect: deny(/annotation "cvm\.dev\/form" changed/) },
    { name: "replace the label key with a Cyrillic look-alike", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { const labels = p.metadata!.labels!; delete labels["cvm.dev/enabled"]; labels["\u0441vm.dev/enabled"] = "true"; })), expect: deny(/label "cvm\.dev\/enabled" removed/, /label "\\u0441vm\.dev\/enabled" added/) },
    { name: "add a fullwidth look-alike annotation to an ordinary pod", webhook: "validate", request: updatePod(web, edited(web, (p) => { p.metadata!.annotations = { "cvm\uff0edev/mutated": "v1" }; })), expect: deny(/annotation "cvm\\uff0edev\/mutated" added/) },
    { name: "label an ordinary pod as a CVM after the fact", webhook: "validate", request: updatePod(web, edited(web, (p) => { p.metadata!.labels!["cvm.dev/enabled"] = "true"; })), expect: deny(/label "cvm\.dev\/enabled" added/) },
    { name: "change the supervisor's env on UPDATE", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.env = [...(s.env ?? []), { name: "CODER_INNER_ENVS", value: "*" }]; })), expect: deny(/env of cvm-supervisor changed/) },
    { name: "strip the label through pods/status", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { delete p.metadata!.labels!["cvm.dev/enabled"]; }), "status"), expect: deny(/label "cvm\.dev\/enabled" removed/) },
    { name: "raise the supervisor's limits in place (pods/resize)", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.resources = { ...s.resources, limits: { cpu: "8", memory: "32Gi" } }; }), "resize"), expect: deny(/limits of cvm-supervisor cannot change in place/) },
    { name: "resize a container that is not the user's", webhook: "validate", request: updatePod(edited(cvm, (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0", resources: { requests: { cpu: "100m" } } }); }), edited(cvm, (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0", resources: { requests: { cpu: "4" } } }); }), "resize"), expect: deny(/istio-proxy cannot be resized: it belongs to the Istio mesh/) },
    // legitimate
    { name: "status update of a CVM pod", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { p.status = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] }; }), "status"), expect: allowed() },
    { name: "metadata update that leaves cvm.dev/* alone", webhook: "validate", request: updatePod(cvm, edited(cvm, (p) => { p.metadata!.labels!["team"] = "payments"; p.metadata!.annotations!["owner"] = "alice"; })), expect: allowed() },
    { name: "resize the supervisor's requests (the user's own resources)", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.resources = { ...s.resources, requests: { cpu: "1500m", memory: "3Gi" } }; }), "resize"), expect: allowed() },
    { name: "image update of an ordinary pod", webhook: "validate", request: updatePod(web, edited(web, (p) => { p.spec!.containers[0]!.image = "registry.example.com/tool:2"; })), expect: allowed() },

    // 3. No faking -------------------------------------------------------------------------------
    { name: "captured privileged pod, created by system:masters", webhook: "validate", request: capturedRequest("v1-create-pod-privileged.review.json"), expect: deny(/violates PodSecurity "baseline:v1\.35": privileged \(container "nginx" must not set securityContext\.privileged=true\)/, FAKE) },
    { name: "node-agent style pod: hostNetwork, hostPID, hostPath, privileged", webhook: "validate", request: createPod(fixturePod("../pods/daemonset-sysdig-hostnetwork-hostpid-privileged.yaml", "workspaces")), expect: deny(/host namespaces \(hostNetwork=true, hostPID=true\)/, /hostPath volumes \(volumes /, /privileged \(container /) },
    { name: "added capabilities NET_ADMIN, SYS_TIME", webhook: "validate", request: createPod(fixturePod("../pods/pod-capabilities-add.yaml", "workspaces")), expect: deny(/non-default capabilities \(container "sec-ctx-4" must not include "NET_ADMIN", "SYS_TIME" in securityContext\.capabilities\.add\)/) },
    { name: "capability spelt cap_sys_admin", webhook: "validate", request: createPod(plainPod("caps", (p) => { p.spec!.containers[0]!.securityContext = { capabilities: { add: ["cap_sys_admin"] } }; })), expect: deny(/must not include "cap_sys_admin"/) },
    { name: "a hostPath volume alone", webhook: "validate", request: createPod(plainPod("hp", (p) => { p.spec!.volumes = [{ name: "root", hostPath: { path: "/" } }]; })), expect: deny(/hostPath volumes \(volume "root"\)/) },
    { name: "hostIPC alone", webhook: "validate", request: createPod(plainPod("ipc", (p) => { p.spec!.hostIPC = true; })), expect: deny(/host namespaces \(hostIPC=true\)/) },
    { name: "SELinux super-privileged type spc_t at pod level", webhook: "validate", request: createPod(plainPod("spc", (p) => { p.spec!.securityContext = { seLinuxOptions: { type: "spc_t" } }; })), expect: deny(/seLinuxOptions \(pod set forbidden securityContext\.seLinuxOptions: type "spc_t"\)/) },
    { name: "unmasked /proc in a user namespace, baseline pinned to v1.34", webhook: "validate", config: (c) => { c.access.baselineVersion = "v1.34"; }, request: createPod(plainPod("proc", (p) => { p.spec!.hostUsers = false; p.spec!.containers[0]!.securityContext = { procMount: "Unmasked" }; })), expect: deny(/violates PodSecurity "baseline:v1\.34": procMount \(container "main" must not set securityContext\.procMount to "Unmasked"\)/) },
    { name: "a reserved cvm-* volume on an ordinary pod", webhook: "validate", request: createPod(plainPod("res", (p) => { p.spec!.volumes = [{ name: "cvm-docker", emptyDir: {} }]; })), expect: deny(/volume cvm-docker uses the reserved cvm- prefix/) },
    { name: "a privileged container named istio-proxy", webhook: "validate", request: createPod(plainPod("mesh", (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "evil.example.com/proxyv2:1.27.0", securityContext: { privileged: true } }); })), expect: deny(/privileged \(container "istio-proxy" must not/, /istio-proxy has image evil\.example\.com\/proxyv2:1\.27\.0, not from istio\.proxyImageRepositories .* judged as an ordinary container/) },
    { name: "kubectl debug --copy-to: copy of a CVM pod without its label, with a debug container", webhook: "validate", request: createPod(edited(cvm, (p) => { p.metadata!.name = "dev-debug"; delete p.metadata!.labels; p.spec!.shareProcessNamespace = true; p.spec!.containers.push({ name: "debugger-abc12", image: "busybox", stdin: true, tty: true }); })), expect: deny(/hostPath volumes \(volumes "cvm-lib-modules", "cvm-usr-src"\)/, /privileged \(container "cvm-supervisor"/, /volumes cvm-sysbox, .* use the reserved cvm- prefix/, /not exactly what cvm-admission builds/, FAKE) },
    { name: "kubectl debug --copy-to --keep-labels with the supervisor's image replaced", webhook: "validate", request: createPod(edited(cvm, (p) => { p.metadata!.name = "dev-debug"; supervisorOf(p).image = "busybox"; })), expect: deny(/privileged \(container "cvm-supervisor"/, /not exactly what cvm-admission builds: spec\.containers\[0\]\.image differs/) },
    { name: "our exact CVM form created without its opt-in label (exec would then be open)", webhook: "validate", request: createPod(edited(cvm, (p) => { p.metadata!.name = "dev-copy"; delete p.metadata!.labels!["cvm.dev/enabled"]; })), expect: deny(/privileged \(container "cvm-supervisor"/, /lacks the label cvm\.dev\/enabled=true/) },
    { name: "a CVM-looking pod with one extra env var on the supervisor", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "EXTRA", value: "1" }); })), expect: deny(/not exactly what cvm-admission builds/) },
    { name: "hand-written fake supervisor with a pre-set cvm.dev/mutated annotation", webhook: "validate", request: createPod(plainPod("fake", (p) => { p.metadata!.labels!["cvm.dev/enabled"] = "true"; p.metadata!.annotations = { "cvm.dev/mutated": "v1", "cvm.dev/form": "envbox" }; p.spec!.containers = [{ name: "cvm-supervisor", image: "evil.example.com/shell:1", securityContext: { privileged: true } }]; })), expect: deny(/privileged \(container "cvm-supervisor"/, /CODER_INNER_IMAGE is missing/) },
    { name: "our GPU CVM pod where the configuration allows GPUs", webhook: "validate", config: allowGpu, request: createPod(gpuCvm), expect: allowed() },
    { name: "a GPU CVM pod whose library hostPath is / instead of the configured directory", webhook: "validate", config: allowGpu, request: createPod(edited(gpuCvm, (p) => { gpuLibraries(p).hostPath!.path = "/"; })), expect: deny(/hostPath volumes \(volumes .*"cvm-gpu-libraries"/, /not exactly what cvm-admission builds: spec\.volumes\[\d+\]\.hostPath\.path differs/) },
    { name: "our exact GPU CVM form where the configuration does not allow GPUs", webhook: "validate", request: createPod(gpuCvm), expect: deny(/hostPath volumes/, /not exactly what cvm-admission builds: .*GPU passthrough is off in this cluster/) },
    { name: "a CVM pod given the GPU library hostPath without asking for a GPU", webhook: "validate", config: allowGpu, request: createPod(cvmWith((p, s) => { p.spec!.volumes!.push(structuredClone(gpuLibraries(gpuCvm))); s.volumeMounts!.push({ name: "cvm-gpu-libraries", mountPath: "/var/lib/cvm/host-usr-lib", readOnly: true }); s.env!.splice(-1, 0, { name: "CODER_ADD_GPU", value: "true" }, { name: "CODER_USR_LIB_DIR", value: "/var/lib/cvm/host-usr-lib" }); })), expect: deny(/hostPath volumes/, /not exactly what cvm-admission builds/) },
    { name: "a GPU CVM pod whose library mount is writable", webhook: "validate", config: allowGpu, request: createPod(edited(gpuCvm, (p) => { supervisorOf(p).volumeMounts!.find((m) => m.name === "cvm-gpu-libraries")!.readOnly = false; })), expect: deny(SUPERVISOR_INPUT, /not exactly what cvm-admission builds/) },
    { name: "our CVM pod plus a second privileged container", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.containers.push({ name: "helper", image: "busybox", securityContext: { privileged: true } }); })), expect: deny(/privileged \(containers "cvm-supervisor", "helper" must not/, /not exactly what cvm-admission builds/) },
    { name: "our CVM pod plus a sidecar mounting cvm-docker", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.containers.push({ name: "peek", image: "busybox", volumeMounts: [{ name: "cvm-docker", mountPath: "/outer-docker" }] }); })), expect: deny(/container peek mounts the reserved volume cvm-docker/) },
    { name: "Istio's proxy told to mount cvm-docker (sidecar.istio.io/userVolumeMount)", webhook: "validate", config: (c) => { c.istio.policy = "warn"; }, request: createPod(edited(withIstioSidecar(cvm), (p) => { p.metadata!.annotations!["sidecar.istio.io/userVolumeMount"] = '{"cvm-docker":{"mountPath":"/outer"}}'; p.spec!.initContainers![1]!.volumeMounts = [{ name: "cvm-docker", mountPath: "/outer" }]; })), expect: deny(/init container istio-proxy mounts the reserved volume cvm-docker/) },
    { name: "our CVM pod plus hostPID", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.hostPID = true; })), expect: deny(/host namespaces \(hostPID=true\)/) },
    { name: "privileged pod as a dry run", webhook: "validate", request: { ...capturedRequest("v1-create-pod-privileged.review.json"), dryRun: true }, expect: deny(FAKE) },
    // legitimate
    { name: "our own mutated CVM pod", webhook: "validate", request: createPod(cvm), expect: allowed() },
    { name: "our own mutated CVM pod after Istio injected its native sidecar (istio.policy warn)", webhook: "validate", config: (c) => { c.istio.policy = "warn"; }, request: createPod(withIstioSidecar(cvm)), expect: allowed() },
    { name: "captured unprivileged pod", webhook: "validate", request: capturedRequest("v1-create-pod-unprivileged.review.json"), expect: allowed() },
    { name: "ordinary pod adding only runtime-default capabilities", webhook: "validate", request: createPod(plainPod("bind", (p) => { p.spec!.containers[0]!.securityContext = { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL"] } }; })), expect: allowed() },
    { name: "ordinary pod with the default SELinux container type", webhook: "validate", request: createPod(plainPod("selinux", (p) => { p.spec!.securityContext = { seLinuxOptions: { type: "container_t", level: "s0:c123,c456" } }; })), expect: allowed() },
    { name: "ordinary pod with Istio's init container (NET_ADMIN, NET_RAW)", webhook: "validate", request: createPod(plainPod("meshed", (p) => { p.spec!.initContainers = [{ name: "istio-init", image: "docker.io/istio/proxyv2:1.27.0", securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] }, runAsUser: 0 } }]; })), expect: allowed() },
    { name: "privileged pod in a namespace that has not opted in", webhook: "validate", request: createPod(plainPod("infra", (p) => { p.spec!.containers[0]!.securityContext = { privileged: true }; }, "plain")), expect: allowed() },

    // 7. Pod Security baseline for every other pod (issue 14) ---------------------------------
    { name: "kubectl debug --profile=sysadmin on an ordinary pod (privileged ephemeral container)", webhook: "validate", request: debug(web, PROFILE.sysadmin), expect: deny(/adding ephemeral container debugger-q8x2z \(kubectl debug\) to pod workspaces\/web refused/, /privileged \(container "debugger-q8x2z" must not set securityContext\.privileged=true\)/, /--profile=baseline/) },
    { name: "ephemeral container with SYS_ADMIN on an ordinary pod", webhook: "validate", request: debug(web, { capabilities: { add: ["SYS_ADMIN"] } }), expect: deny(/non-default capabilities \(container "debugger-q8x2z" must not include "SYS_ADMIN"/) },
    { name: "kubectl debug --profile=netadmin on an ordinary pod", webhook: "validate", request: debug(web, PROFILE.netadmin), expect: deny(/must not include "NET_ADMIN", "NET_RAW"/) },
    { name: "kubectl debug --profile=general (SYS_PTRACE) on an ordinary pod", webhook: "validate", request: debug(web, PROFILE.general), expect: deny(/must not include "SYS_PTRACE"/) },
    { name: "ephemeral container named istio-proxy with Istio's image and NET_ADMIN", webhook: "validate", request: updatePod(web, edited(web, (p) => { p.spec!.ephemeralContainers = [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0", securityContext: { capabilities: { add: ["NET_ADMIN"] } } }]; }), "ephemeralcontainers"), expect: deny(/must not include "NET_ADMIN"/) },
    { name: "ephemeral container with unconfined seccomp through the pre-1.22 EphemeralContainers body", webhook: "validate", request: { ...updatePod(web, web, "ephemeralcontainers"), kind: { group: "", version: "v1", kind: "EphemeralContainers" }, object: { kind: "EphemeralContainers", apiVersion: "v1", metadata: { name: "web", namespace: "workspaces" }, ephemeralContainers: [{ name: "dbg", image: "busybox", securityContext: { seccompProfile: { type: "Unconfined" } } }] }, oldObject: { kind: "EphemeralContainers", apiVersion: "v1", metadata: { name: "web", namespace: "workspaces" }, ephemeralContainers: [] } }, expect: deny(/seccompProfile \(container "dbg" must not set securityContext\.seccompProfile\.type to "Unconfined"\)/) },
    { name: "image update of a privileged pod that predates the opt-in", webhook: "validate", request: updatePod(plainPod("old", (p) => { p.spec!.containers[0]!.securityContext = { privileged: true }; }), plainPod("old", (p) => { p.spec!.containers[0]!.securityContext = { privileged: true }; p.spec!.containers[0]!.image = "registry.example.com/tool:2"; })), expect: deny(/update of pod workspaces\/old changing container main refused: violates PodSecurity "baseline:v1\.35": privileged/) },
    { name: "container named istio-init with NET_ADMIN, NET_RAW and another image", webhook: "validate", request: createPod(plainPod("fake-mesh", (p) => { p.spec!.initContainers = [istioInit("evil.example.com/istio/proxyv2:1.27.0")]; })), expect: deny(/non-default capabilities \(container "istio-init" must not include "NET_ADMIN", "NET_RAW"/, /istio-init has image evil\.example\.com\/istio\/proxyv2:1\.27\.0, not from istio\.proxyImageRepositories/) },
    { name: "istio-init with Istio's image adding SYS_ADMIN as well", webhook: "validate", request: createPod(plainPod("mesh-admin", (p) => { p.spec!.initContainers = [istioInit("docker.io/istio/proxyv2:1.27.0", (c) => { c.securityContext!.capabilities!.add!.push("SYS_ADMIN"); })]; })), expect: deny(/must not include "NET_ADMIN", "NET_RAW", "SYS_ADMIN"/, /istio-init adds SYS_ADMIN, which Istio's injector never adds to it/) },
    { name: "istio-proxy with Istio's image and a host port", webhook: "validate", request: createPod(plainPod("mesh-port", (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0", ports: [{ containerPort: 15090, hostPort: 15090 }] }); })), expect: deny(/hostPort \(container "istio-proxy" uses hostPort 15090\)/) },
    { name: "istio-proxy with Istio's image and unconfined seccomp and AppArmor", webhook: "validate", request: createPod(plainPod("mesh-unconfined", (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0", securityContext: { seccompProfile: { type: "Unconfined" }, appArmorProfile: { type: "Unconfined" } } }); })), expect: deny(/forbidden AppArmor profile \(container "istio-proxy"/, /seccompProfile \(container "istio-proxy"/) },
    { name: "CVM pod (optOut) with an old-version Istio sidecar beside the supervisor", webhook: "validate", request: createPod(edited(withIstioSidecar(cvm), (p) => { for (const c of p.spec!.initContainers!) c.image = "docker.io/istio/proxyv2:1.5.0"; })), expect: deny(/Istio's istio-init may not run beside cvm-supervisor under istio\.policy=optOut/, /non-default capabilities \(container "istio-init"/) },
    { name: "CVM pod (istio.policy deny) with Istio's real injection (case default)", webhook: "validate", config: (c) => { c.istio.policy = "deny"; c.istio.proxyImageRepositories.push("registry.istio.io/testing"); }, request: createPod(injectLikeIstio(cvm, INJECTED[0]!)), expect: deny(/may not run beside cvm-supervisor under istio\.policy=deny/) },
    { name: "CVM pod (warn) whose mesh-named init container shares the user's volume with the supervisor", webhook: "validate", config: (c) => { c.istio.policy = "warn"; }, request: createPod(edited(withIstioSidecar(cvm), (p) => { p.spec!.initContainers![0]!.volumeMounts = [{ name: "home", mountPath: "/data" }]; })), expect: deny(/istio-init shares volume home with cvm-supervisor, so it is judged as an ordinary container/, /must not include "NET_ADMIN", "NET_RAW"/) },
    { name: "Istio's real injected pod with the test hub not configured", webhook: "validate", request: createPod(injectedFixture(INJECTED[0]!.injected, "meshed-unknown-hub")), expect: deny(/istio-init has image registry\.istio\.io\/testing\/proxyv2:latest, not from istio\.proxyImageRepositories/) },
    { name: "Istio's fixture of a host-network pod (Istio skips it; baseline does not)", webhook: "validate", request: createPod(injectedFixture("host-network-skipped/injected.yaml", "hostnet")), expect: deny(/host namespaces \(hostNetwork=true\)/) },
    { name: "Istio's StatefulSet fixture: its own hostPath volume is refused, Istio's containers pass", webhook: "validate", config: (c) => { c.istio.proxyImageRepositories.push("registry.istio.io/testing"); }, request: createPod(injectedFixture("statefulset/injected.yaml", "meshed-statefulset")), expect: deny(/: violates PodSecurity "baseline:v1\.35": hostPath volumes \(volume "data"\)\. In this namespace/) },
    { name: "seccomp Unconfined for the whole pod", webhook: "validate", request: createPod(plainPod("seccomp", (p) => { p.spec!.securityContext = { seccompProfile: { type: "Unconfined" } }; })), expect: deny(/seccompProfile \(pod must not set securityContext\.seccompProfile\.type to "Unconfined"\)/) },
    { name: "AppArmor Unconfined by field", webhook: "validate", request: createPod(plainPod("aa", (p) => { p.spec!.containers[0]!.securityContext = { appArmorProfile: { type: "Unconfined" } }; })), expect: deny(/forbidden AppArmor profile \(container "main" must not set AppArmor profile type to "Unconfined"\)/) },
    { name: "AppArmor unconfined by the beta annotation", webhook: "validate", request: createPod(plainPod("aa-annotation", (p) => { p.metadata!.annotations = { "container.apparmor.security.beta.kubernetes.io/main": "unconfined" }; })), expect: deny(/forbidden AppArmor profile \(annotation must not set AppArmor profile type to "container\.apparmor\.security\.beta\.kubernetes\.io\/main="unconfined""\)/) },
    { name: "a host port", webhook: "validate", request: createPod(plainPod("hostport", (p) => { p.spec!.containers[0]!.ports = [{ containerPort: 2375, hostPort: 2375 }]; })), expect: deny(/hostPort \(container "main" uses hostPort 2375\)/) },
    { name: "unsafe sysctls", webhook: "validate", request: createPod(plainPod("sysctl", (p) => { p.spec!.securityContext = { sysctls: [{ name: "kernel.core_pattern", value: "|/tmp/x" }, { name: "net.ipv4.tcp_syncookies", value: "1" }] }; })), expect: deny(/forbidden sysctls \(kernel\.core_pattern\)/) },
    { name: "SELinux user and role", webhook: "validate", request: createPod(plainPod("selinux-user", (p) => { p.spec!.containers[0]!.securityContext = { seLinuxOptions: { user: "system_u", role: "system_r" } }; })), expect: deny(/seLinuxOptions \(container "main" set forbidden securityContext\.seLinuxOptions: user may not be set; role may not be set\)/) },
    { name: "a probe aimed at another host", webhook: "validate", request: createPod(plainPod("probe-host", (p) => { p.spec!.containers[0]!.livenessProbe = { httpGet: { host: "169.254.169.254", path: "/", port: 80 } }; })), expect: deny(/probe or lifecycle host \(container "main" uses probe or lifecycle host "169\.254\.169\.254"\)/) },
    { name: "a later webhook adds a privileged init container to our CVM pod", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.initContainers = [{ name: "setup", image: "busybox", securityContext: { privileged: true } }]; })), expect: deny(/privileged \(containers "setup", "cvm-supervisor"/) },
    { name: "a Binding carrying cvm.dev/* annotations (copied onto the pod)", webhook: "validate", request: bindPod("web", { annotations: { "cvm.dev/mutated": "v1", "cvm.dev/form": "envbox" } }), expect: deny(/binding of pod workspaces\/web refused: it carries annotation "cvm\.dev\/form", annotation "cvm\.dev\/mutated"/) },
    { name: "a Binding carrying the opt-in label", webhook: "validate", request: bindPod("web", { labels: { "cvm.dev/enabled": "true" } }), expect: deny(/label "cvm\.dev\/enabled"/) },
    { name: "plain UPDATE raising the supervisor's limits (in-place resize on 1.27-1.31)", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.resources = { ...s.resources, limits: { cpu: "8", memory: "32Gi" } }; })), expect: deny(/update of CVM pod workspaces\/dev refused: the limits of cvm-supervisor cannot change in place/) },
    { name: "plain UPDATE resizing Istio's sidecar in a CVM pod", webhook: "validate", config: (c) => { c.istio.policy = "warn"; }, request: updatePod(withIstioSidecar(cvm), edited(withIstioSidecar(cvm), (p) => { p.spec!.initContainers![1]!.resources = { limits: { cpu: "4" } }; })), expect: deny(/container istio-proxy cannot be resized: it belongs to the Istio mesh/) },
    { name: "break-glass does not cover raising the supervisor's limits", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.resources = { ...s.resources, limits: { cpu: "8", memory: "32Gi" } }; }), "resize", USERS.oncall), expect: deny(/limits of cvm-supervisor cannot change/) },
    // legitimate
    ...INJECTED.map((c): AttackCase => ({ name: `Istio's real injected pod: ${c.case}`, webhook: "validate", config: (config) => { config.istio.proxyImageRepositories.push("registry.istio.io/testing"); }, request: createPod(injectedFixture(c.injected, `meshed-${c.case}`)), expect: allowed() })),
    ...INJECTED.slice(0, 3).map((c): AttackCase => ({ name: `our CVM pod with Istio's real injection (${c.case}) under istio.policy warn`, webhook: "validate", config: (config) => { config.istio.policy = "warn"; config.istio.proxyImageRepositories.push("registry.istio.io/testing"); }, request: createPod(injectLikeIstio(cvm, c)), expect: allowed() })),
    { name: "a user's own container named istio-proxy, another image, nothing elevated", webhook: "validate", request: createPod(plainPod("own-proxy", (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "registry.example.com/my-proxy:2", securityContext: { capabilities: { drop: ["ALL"] } } }); })), expect: allowed() },
    { name: "kubectl debug with the legacy profile on an ordinary pod", webhook: "validate", request: debug(web), expect: allowed() },
    { name: "kubectl debug --profile=restricted on an ordinary pod", webhook: "validate", request: debug(web, PROFILE.restricted), expect: allowed() },
    { name: "break-glass kubectl debug --profile=sysadmin on an ordinary pod", webhook: "validate", request: debug(web, PROFILE.sysadmin, USERS.oncall), expect: { allowed: true, says: [/break-glass: ephemeral container debugger-q8x2z in pod workspaces\/web past Pod Security baseline/], breakGlassBy: "oncall" } },
    { name: "break-glass kubectl debug --profile=sysadmin on a CVM pod", webhook: "validate", request: debug(cvm, PROFILE.sysadmin, USERS.oncall), expect: { allowed: true, says: [/break-glass/], breakGlassBy: "oncall" } },
    { name: "unmasked /proc in a user namespace (baseline 1.35 allows it)", webhook: "validate", request: createPod(plainPod("proc-userns", (p) => { p.spec!.hostUsers = false; p.spec!.containers[0]!.securityContext = { procMount: "Unmasked" }; })), expect: allowed() },
    { name: "safe sysctls and RuntimeDefault/Localhost profiles", webhook: "validate", request: createPod(plainPod("safe", (p) => { p.spec!.securityContext = { sysctls: [{ name: "net.ipv4.ip_local_port_range", value: "1024 65000" }], seccompProfile: { type: "RuntimeDefault" } }; p.spec!.containers[0]!.securityContext = { appArmorProfile: { type: "Localhost", localhostProfile: "k8s-tool" } }; })), expect: allowed() },
    { name: "a Binding without cvm.dev/* metadata", webhook: "validate", request: bindPod("web", { annotations: { "example.com/placed-by": "scheduler" } }), expect: allowed() },
    { name: "plain UPDATE changing only the supervisor's requests", webhook: "validate", request: updatePod(cvm, cvmWith((_p, s) => { s.resources = { ...s.resources, requests: { cpu: "1500m", memory: "3Gi" } }; })), expect: allowed() },

    // 4. Unsafe input never reaches the privileged process -------------------------------------
    { name: "a later webhook adds LD_PRELOAD to the supervisor", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "LD_PRELOAD", value: "/tmp/x.so" }); })), expect: deny(SUPERVISOR_INPUT, /LD_PRELOAD is not a variable cvm-admission sets/) },
    { name: "a later webhook adds DOCKER_HOST", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.unshift({ name: "DOCKER_HOST", value: "tcp://attacker:2375" }); })), expect: deny(/DOCKER_HOST is not a variable cvm-admission sets/) },
    { name: "a stray CODER_* variable", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "CODER_INNER_USR_LIB_DIR", value: "/" }); })), expect: deny(/CODER_INNER_USR_LIB_DIR is not a variable cvm-admission sets/) },
    { name: "a later webhook points CODER_USR_LIB_DIR at the supervisor's root", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "CODER_ADD_GPU", value: "true" }, { name: "CODER_USR_LIB_DIR", value: "/" }); })), expect: deny(SUPERVISOR_INPUT, /CODER_USR_LIB_DIR is "\/"; cvm-admission mounts the host's libraries at \/var\/lib\/cvm\/host-usr-lib/) },
    { name: "a second CODER_DOCKER_CONFIG", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "CODER_DOCKER_CONFIG", value: "/tmp/config.json" }); })), expect: deny(/CODER_DOCKER_CONFIG is defined twice/) },
    { name: "an envFrom without our prefix", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.envFrom = [{ configMapRef: { name: "x" } }]; })), expect: deny(/envFrom\[0\] has prefix ""/) },
    { name: "CODER_INNER_ENVS redefined with * at the end", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "CODER_INNER_ENVS", value: "*" }); })), expect: deny(/CODER_INNER_ENVS is defined twice/, /wildcard/) },
    { name: "CODER_INNER_ENVS with a C* token", webhook: "validate", request: createPod(cvmWith((_p, s) => { const e = s.env!.find((v) => v.name === "CODER_INNER_ENVS")!; e.value = `${e.value},C*`; })), expect: deny(/"C\*", a wildcard/) },
    { name: "CODER_INNER_ENVS naming the pull secret", webhook: "validate", request: createPod(cvmWith((_p, s) => { const e = s.env!.find((v) => v.name === "CODER_INNER_ENVS")!; e.value = `${e.value},CODER_IMAGE_PULL_SECRET`; })), expect: deny(/lists CODER_IMAGE_PULL_SECRET/) },
    { name: "a mount under /var/lib/sysbox", webhook: "validate", request: createPod(cvmWith((p, s) => { p.spec!.volumes!.push({ name: "state", emptyDir: {} }); s.volumeMounts!.push({ name: "state", mountPath: "/var/lib/sysbox/shiftfs" }); })), expect: deny(/\/var\/lib\/sysbox\/shiftfs is used by the CVM supervisor itself/) },

    // 5. Pod Security up front (mutating webhook) -----------------------------------------------
    { name: "CVM pod in a namespace enforcing baseline", webhook: "mutate", request: createPod(edited(userPod(), (p) => { p.metadata!.namespace = "psa-baseline"; })), expect: deny(/enforces Pod Security level baseline/, /pod-security\.kubernetes\.io\/enforce=privileged/, /form: runtimeclass/) },
    { name: "CVM pod in a namespace enforcing restricted", webhook: "mutate", request: createPod(edited(userPod(), (p) => { p.metadata!.namespace = "psa-restricted"; })), expect: deny(/enforces Pod Security level restricted/, /kubectl label --overwrite namespace psa-restricted pod-security\.kubernetes\.io\/enforce=privileged/) },
    { name: "CVM pod where enforce has a typo (Kubernetes reads restricted)", webhook: "mutate", request: createPod(edited(userPod(), (p) => { p.metadata!.namespace = "psa-typo"; })), expect: deny(/"privilegd" is not a Pod Security level/) },
    { name: "runtimeclass form in a namespace enforcing restricted", webhook: "mutate", config: (c) => { c.form = "runtimeclass"; }, request: createPod(edited(userPod(), (p) => { p.metadata!.namespace = "psa-restricted"; })), expect: deny(/runtimeclass form/, /enforce=baseline/) },
    // legitimate
    { name: "CVM pod with warn/audit levels: allowed with warnings", webhook: "mutate", request: createPod(edited(userPod(), (p) => { p.metadata!.namespace = "psa-warn"; })), expect: allowed(/warn=baseline: Kubernetes will warn/, /audit=restricted: the audit log will record/) },
    { name: "runtimeclass form in a namespace enforcing baseline", webhook: "mutate", config: (c) => { c.form = "runtimeclass"; }, request: createPod(edited(userPod(), (p) => { p.metadata!.namespace = "psa-baseline"; })), expect: allowed() },
    { name: "ordinary pod in a namespace enforcing restricted", webhook: "mutate", request: createPod(plainPod("app", () => {}, "psa-restricted")), expect: allowed() },
  ]; // prettier-ignore
}

/** A decision as the apiserver sees it, from either runner. */
export interface Outcome {
  allowed: boolean;
  code?: number;
  message?: string;
  warnings: string[];
  auditAnnotations?: Record<string, string>;
}

/** The assertions every case makes, whichever way it ran. */
export function expectOutcome(outcome: Outcome, expectation: Expectation): void {
  expect(outcome.allowed, outcome.message ?? "allowed").toBe(expectation.allowed);
  if (!expectation.allowed) {
    expect(outcome.code).toBe(403);
    for (const pattern of expectation.says ?? []) expect(outcome.message).toMatch(pattern);
  } else {
    for (const pattern of expectation.says ?? []) {
      expect(
        outcome.warnings.some((w) => pattern.test(w)),
        `${pattern} in ${JSON.stringify(outcome.warnings)}`,
      ).toBe(true);
    }
  }
  const record = outcome.auditAnnotations?.[BREAK_GLASS_AUDIT_KEY];
  if (expectation.breakGlassBy === undefined) expect(record).toBeUndefined();
  else expect(record).toContain(expectation.breakGlassBy);
}
