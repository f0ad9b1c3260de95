// The attack table: every way into the supervisor that admission can see (cvm-spec §6), the ways
// around each rule, and the legitimate flows that must keep working. One list, run twice: against
// the policies directly (attack-table.test.ts) and over HTTPS through the real server
// (attack-table.https.test.ts). Each case is a real AdmissionRequest with its expected decision.

import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { expect } from "vitest";
import { parse as parseYaml } from "yaml";
import type { AdmissionRequest } from "../../../src/admission/types.js";
import type { Config } from "../../../src/config/config.js";
import { BREAK_GLASS_AUDIT_KEY } from "../../../src/policies/access/break-glass.js";
import { transformPod } from "../../../src/policies/cvm/transform.js";
import type { ServerPool, TestServer } from "../../support/server.js";
import {
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
export function mutatedPod(edit?: (config: Config) => void): V1Pod {
  const config = testConfig();
  edit?.(config);
  const result = transformPod(userPod(), config);
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

const NOBODY_ENTERS = /CVM pod .* nobody may enter it/;
const FAKE = /opted in to CVMs/;
const TAMPER = /cvm\.dev\/\* labels and annotations are set by cvm-admission/;
const SUPERVISOR_INPUT = /must never reach the privileged supervisor/;

export function attackCases(): AttackCase[] {
  const cvm = mutatedPod();
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
    { name: "captured privileged pod, created by system:masters", webhook: "validate", request: capturedRequest("v1-create-pod-privileged.review.json"), expect: deny(/container nginx is privileged/, FAKE) },
    { name: "node-agent style pod: hostNetwork, hostPID, hostPath, privileged", webhook: "validate", request: createPod(fixturePod("daemonset-sysdig-hostnetwork-hostpid-privileged.yaml", "workspaces")), expect: deny(/hostNetwork is true/, /hostPID is true/, /hostPath/, /privileged/) },
    { name: "added capabilities NET_ADMIN, SYS_TIME", webhook: "validate", request: createPod(fixturePod("pod-capabilities-add.yaml", "workspaces")), expect: deny(/adds capabilities NET_ADMIN, SYS_TIME/) },
    { name: "capability spelt cap_sys_admin", webhook: "validate", request: createPod(plainPod("caps", (p) => { p.spec!.containers[0]!.securityContext = { capabilities: { add: ["cap_sys_admin"] } }; })), expect: deny(/adds capabilities cap_sys_admin/) },
    { name: "a hostPath volume alone", webhook: "validate", request: createPod(plainPod("hp", (p) => { p.spec!.volumes = [{ name: "root", hostPath: { path: "/" } }]; })), expect: deny(/volume root is a hostPath \(\/\)/) },
    { name: "hostIPC alone", webhook: "validate", request: createPod(plainPod("ipc", (p) => { p.spec!.hostIPC = true; })), expect: deny(/hostIPC is true/) },
    { name: "SELinux super-privileged type spc_t at pod level", webhook: "validate", request: createPod(plainPod("spc", (p) => { p.spec!.securityContext = { seLinuxOptions: { type: "spc_t" } }; })), expect: deny(/the pod uses SELinux type spc_t/) },
    { name: "unmasked /proc", webhook: "validate", request: createPod(plainPod("proc", (p) => { p.spec!.hostUsers = false; p.spec!.containers[0]!.securityContext = { procMount: "Unmasked" }; })), expect: deny(/container main mounts \/proc unmasked/) },
    { name: "a reserved cvm-* volume on an ordinary pod", webhook: "validate", request: createPod(plainPod("res", (p) => { p.spec!.volumes = [{ name: "cvm-docker", emptyDir: {} }]; })), expect: deny(/volume cvm-docker uses the reserved cvm- prefix/) },
    { name: "a privileged container named istio-proxy", webhook: "validate", request: createPod(plainPod("mesh", (p) => { p.spec!.containers.push({ name: "istio-proxy", image: "evil.example.com/proxyv2:1.27.0", securityContext: { privileged: true } }); })), expect: deny(/container istio-proxy is privileged/) },
    { name: "kubectl debug --copy-to: copy of a CVM pod without its label, with a debug container", webhook: "validate", request: createPod(edited(cvm, (p) => { p.metadata!.name = "dev-debug"; delete p.metadata!.labels; p.spec!.shareProcessNamespace = true; p.spec!.containers.push({ name: "debugger-abc12", image: "busybox", stdin: true, tty: true }); })), expect: deny(/privileged CVM parts \(cvm-sysbox, .*cvm-supervisor\)/, FAKE) },
    { name: "kubectl debug --copy-to --keep-labels with the supervisor's image replaced", webhook: "validate", request: createPod(edited(cvm, (p) => { p.metadata!.name = "dev-debug"; supervisorOf(p).image = "busybox"; })), expect: deny(/privileged CVM parts /, /not exactly what cvm-admission builds/) },
    { name: "our exact CVM form created without its opt-in label (exec would then be open)", webhook: "validate", request: createPod(edited(cvm, (p) => { p.metadata!.name = "dev-copy"; delete p.metadata!.labels!["cvm.dev/enabled"]; })), expect: deny(/privileged CVM parts /, /lacks the label cvm\.dev\/enabled=true/) },
    { name: "a CVM-looking pod with one extra env var on the supervisor", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "EXTRA", value: "1" }); })), expect: deny(/not exactly what cvm-admission builds/) },
    { name: "hand-written fake supervisor with a pre-set cvm.dev/mutated annotation", webhook: "validate", request: createPod(plainPod("fake", (p) => { p.metadata!.labels!["cvm.dev/enabled"] = "true"; p.metadata!.annotations = { "cvm.dev/mutated": "v1", "cvm.dev/form": "envbox" }; p.spec!.containers = [{ name: "cvm-supervisor", image: "evil.example.com/shell:1", securityContext: { privileged: true } }]; })), expect: deny(/privileged CVM parts \(cvm-supervisor\)/, /CODER_INNER_IMAGE is missing/) },
    { name: "our CVM pod plus a second privileged container", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.containers.push({ name: "helper", image: "busybox", securityContext: { privileged: true } }); })), expect: deny(/container helper is privileged/) },
    { name: "our CVM pod plus a sidecar mounting cvm-docker", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.containers.push({ name: "peek", image: "busybox", volumeMounts: [{ name: "cvm-docker", mountPath: "/outer-docker" }] }); })), expect: deny(/container peek mounts the reserved volume cvm-docker/) },
    { name: "Istio's proxy told to mount cvm-docker (sidecar.istio.io/userVolumeMount)", webhook: "validate", config: (c) => { c.istio.policy = "warn"; }, request: createPod(edited(withIstioSidecar(cvm), (p) => { p.metadata!.annotations!["sidecar.istio.io/userVolumeMount"] = '{"cvm-docker":{"mountPath":"/outer"}}'; p.spec!.initContainers![1]!.volumeMounts = [{ name: "cvm-docker", mountPath: "/outer" }]; })), expect: deny(/init container istio-proxy mounts the reserved volume cvm-docker/) },
    { name: "our CVM pod plus hostPID", webhook: "validate", request: createPod(cvmWith((p) => { p.spec!.hostPID = true; })), expect: deny(/hostPID is true/) },
    { name: "privileged pod as a dry run", webhook: "validate", request: { ...capturedRequest("v1-create-pod-privileged.review.json"), dryRun: true }, expect: deny(FAKE) },
    // legitimate
    { name: "our own mutated CVM pod", webhook: "validate", request: createPod(cvm), expect: allowed() },
    { name: "our own mutated CVM pod after Istio injected its native sidecar (istio.policy warn)", webhook: "validate", config: (c) => { c.istio.policy = "warn"; }, request: createPod(withIstioSidecar(cvm)), expect: allowed() },
    { name: "captured unprivileged pod", webhook: "validate", request: capturedRequest("v1-create-pod-unprivileged.review.json"), expect: allowed() },
    { name: "ordinary pod adding only runtime-default capabilities", webhook: "validate", request: createPod(plainPod("bind", (p) => { p.spec!.containers[0]!.securityContext = { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL"] } }; })), expect: allowed() },
    { name: "ordinary pod with the default SELinux container type", webhook: "validate", request: createPod(plainPod("selinux", (p) => { p.spec!.securityContext = { seLinuxOptions: { type: "container_t", level: "s0:c123,c456" } }; })), expect: allowed() },
    { name: "ordinary pod with Istio's init container (NET_ADMIN, NET_RAW)", webhook: "validate", request: createPod(plainPod("meshed", (p) => { p.spec!.initContainers = [{ name: "istio-init", image: "docker.io/istio/proxyv2:1.27.0", securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] }, runAsUser: 0 } }]; })), expect: allowed() },
    { name: "privileged pod in a namespace that has not opted in", webhook: "validate", request: createPod(plainPod("infra", (p) => { p.spec!.containers[0]!.securityContext = { privileged: true }; }, "plain")), expect: allowed() },

    // 4. Unsafe input never reaches the privileged process -------------------------------------
    { name: "a later webhook adds LD_PRELOAD to the supervisor", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "LD_PRELOAD", value: "/tmp/x.so" }); })), expect: deny(SUPERVISOR_INPUT, /LD_PRELOAD is not a variable cvm-admission sets/) },
    { name: "a later webhook adds DOCKER_HOST", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.unshift({ name: "DOCKER_HOST", value: "tcp://attacker:2375" }); })), expect: deny(/DOCKER_HOST is not a variable cvm-admission sets/) },
    { name: "a stray CODER_* variable", webhook: "validate", request: createPod(cvmWith((_p, s) => { s.env!.push({ name: "CODER_USR_LIB_DIR", value: "/" }); })), expect: deny(/CODER_USR_LIB_DIR is not a variable cvm-admission sets/) },
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
