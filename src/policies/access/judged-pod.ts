// What the baseline rule (baseline-rule.ts) judges: a pod with the rule's exceptions applied, and
// what it finds, in words. The exact CVM form keeps the supervisor's privileged flag and the cvm-*
// hostPath volumes; a mesh container in Istio's shape keeps Istio's capabilities, unless it sits
// beside the supervisor under istio.policy optOut or deny. The cvm-* volumes are the supervisor's.

import type { V1Container, V1Pod, V1PodSpec } from "@kubernetes/client-node";
import type { PolicyContext } from "../context.js";
import { RESERVED_VOLUME_PREFIX, SUPERVISOR_NAME } from "../cvm/names.js";
import { meshShape } from "./injected-shape.js";
import { baselineMinor } from "../../config/baseline-version.js";
import { baselineLabel, baselineViolations, describeViolations } from "../../kube/pod-security-baseline.js";

export type ContainerList = "initContainers" | "containers" | "ephemeralContainers";
export const LISTS: readonly ContainerList[] = ["initContainers", "containers", "ephemeralContainers"];
const LIST_WORD: Readonly<Record<ContainerList, string>> = {
  initContainers: "init container",
  containers: "container",
  ephemeralContainers: "ephemeral container",
};

/** What the judgement found, in words: baseline's violations and the rule's own refusals, plus
 * notes that explain a violation (why a mesh-named container got no exception) but refuse nothing. */
export interface Findings {
  violations: string;
  reserved: string[];
  mesh: string[];
  notes: string[];
}

export function hasFindings(f: Findings): boolean {
  return f.violations !== "" || f.reserved.length > 0 || f.mesh.length > 0;
}

export function containersOf(spec: V1PodSpec | undefined, list: ContainerList): V1Container[] {
  return (spec?.[list] ?? []) as V1Container[];
}

/** cvm-* volumes are the supervisor's: any other container mounting one, or a pod not ours holding one. */
function reservedVolumeUses(spec: V1PodSpec | undefined, ours: boolean): string[] {
  const uses: string[] = [];
  const reserved = (spec?.volumes ?? [])
    .map((v) => v.name)
    .filter((name) => name.startsWith(RESERVED_VOLUME_PREFIX));
  const which = reserved.length === 1 ? "volume" : "volumes";
  if (!ours && reserved.length > 0)
    uses.push(`${which} ${reserved.join(", ")} ${reserved.length === 1 ? "uses" : "use"} the reserved ${RESERVED_VOLUME_PREFIX} prefix`); // prettier-ignore
  for (const list of LISTS) {
    for (const c of containersOf(spec, list)) {
      if (list === "containers" && c.name === SUPERVISOR_NAME) continue;
      for (const mount of c.volumeMounts ?? [])
        if (mount.name.startsWith(RESERVED_VOLUME_PREFIX))
          uses.push(`${LIST_WORD[list]} ${c.name} mounts the reserved volume ${mount.name}`);
    }
  }
  return uses;
}

/** The container as baseline judges it: a tolerated mesh container without Istio's capabilities. */
function withoutMeshCapabilities(c: V1Container, capabilities: ReadonlySet<string>): V1Container {
  const add = c.securityContext?.capabilities?.add;
  if (add === undefined) return c;
  const rest = add.filter((cap) => !capabilities.has(cap));
  return { ...c, securityContext: { ...c.securityContext, capabilities: { ...c.securityContext!.capabilities, add: rest } } }; // prettier-ignore
}

/** The pod as baseline judges it, with the exceptions applied; `mesh` collects what they refused. */
function judgedSpec(
  pod: V1Pod,
  ctx: PolicyContext,
  ours: boolean,
  mesh: string[],
  notes: string[],
): V1PodSpec {
  const spec: V1PodSpec = pod.spec ?? { containers: [] };
  const policy = ctx.config.istio.policy;
  const besideSupervisor = ours && ctx.config.form === "envbox";
  const judge = (c: V1Container, ephemeral = false): V1Container => {
    if (ours && c.name === SUPERVISOR_NAME && (spec.containers ?? []).includes(c)) {
      const { privileged: _made, ...context } = c.securityContext ?? {};
      return { ...c, securityContext: context };
    }
    // Istio never injects ephemeral containers.
    const shape = ephemeral ? undefined : meshShape(c, pod, ctx.config);
    if (shape === undefined) return c;
    if (!shape.tolerated) {
      notes.push(`${shape.why}, so it is judged as an ordinary container`);
      return c;
    }
    if (besideSupervisor && (policy === "optOut" || policy === "deny")) {
      mesh.push(
        `Istio's ${c.name} may not run beside ${SUPERVISOR_NAME} under istio.policy=${policy} ` +
          `(label the pod sidecar.istio.io/inject: "false", or choose istio.policy warn or reroute)`,
      );
      return c;
    }
    return withoutMeshCapabilities(c, shape.capabilities);
  };
  return {
    ...spec,
    initContainers: spec.initContainers?.map((c) => judge(c)),
    containers: (spec.containers ?? []).map((c) => judge(c)),
    ephemeralContainers: spec.ephemeralContainers?.map((c) => judge(c as V1Container, true)),
    volumes: spec.volumes?.filter((v) => !(ours && v.hostPath && v.name.startsWith(RESERVED_VOLUME_PREFIX))),
  };
}

export function judgePod(pod: V1Pod, ctx: PolicyContext, ours: boolean): Findings {
  const mesh: string[] = [];
  const notes: string[] = [];
  const spec = judgedSpec(pod, ctx, ours, mesh, notes);
  const minor = baselineMinor(ctx.config.access.baselineVersion);
  const violations = baselineViolations({ metadata: pod.metadata, spec }, minor);
  return {
    violations: violations.length === 0 ? "" : `violates PodSecurity "${baselineLabel(minor)}": ${describeViolations(violations)}`,
    reserved: reservedVolumeUses(pod.spec, ours),
    mesh,
    notes,
  }; // prettier-ignore
}

export function sentence(f: Findings): string {
  return [f.violations, ...f.reserved, ...f.mesh, ...f.notes].filter((part) => part !== "").join("; ");
}
