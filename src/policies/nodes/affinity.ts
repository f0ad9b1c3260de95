// Required node affinity that keeps CVM pods on eligible nodes (docs/nodes.md).
// nodeSelectorTerms are ORed and the expressions of a term ANDed, so "eligible" is ANDed into
// every existing term. Eligibility is one conjunction (our node label) or, with Node Feature
// Discovery's kernel labels, two (major > M, or major == M and minor >= m): then every term
// becomes two. A term that already implies eligibility is kept as it is, so applying the affinity
// twice changes nothing; `removeEligibilityAffinity` is the exact inverse for the CVM derivation.

import { isDeepStrictEqual } from "node:util";
import type { V1NodeSelectorRequirement, V1NodeSelectorTerm, V1PodSpec } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";
import { kernelFloor } from "../../cluster/kernel-floor.js";

export const NFD_KERNEL_MAJOR = "feature.node.kubernetes.io/kernel-version.major";
export const NFD_KERNEL_MINOR = "feature.node.kubernetes.io/kernel-version.minor";
const LINUX: V1NodeSelectorRequirement = { key: "kubernetes.io/os", operator: "In", values: ["linux"] };

type Conjunction = readonly V1NodeSelectorRequirement[];

/** The alternatives (ORed) of expressions (ANDed) that make a node eligible. */
export function eligibilityAlternatives(config: Config): Conjunction[] {
  if (config.nodes.labels)
    return [[LINUX, { key: config.labels.nodeEligible, operator: "In", values: ["true"] }]];
  const [major, minor] = kernelFloor(config).split(".").map(Number) as [number, number];
  // Gt compares the label as an integer: "minor >= m" is "minor > m-1".
  const sameMajor: V1NodeSelectorRequirement[] = [
    LINUX,
    { key: NFD_KERNEL_MAJOR, operator: "In", values: [String(major)] },
  ];
  if (minor > 0) sameMajor.push({ key: NFD_KERNEL_MINOR, operator: "Gt", values: [String(minor - 1)] });
  return [[LINUX, { key: NFD_KERNEL_MAJOR, operator: "Gt", values: [String(major)] }], sameMajor];
}

function has(term: V1NodeSelectorTerm, expression: V1NodeSelectorRequirement): boolean {
  return (term.matchExpressions ?? []).some((e) => isDeepStrictEqual(e, expression));
}

function andInto(term: V1NodeSelectorTerm, alternatives: readonly Conjunction[]): V1NodeSelectorTerm[] {
  if (alternatives.some((alt) => alt.every((e) => has(term, e)))) return [term];
  return alternatives.map((alt) => ({
    ...term,
    matchExpressions: [
      ...(term.matchExpressions ?? []),
      ...alt.filter((e) => !has(term, e)).map((e) => ({ ...e, values: [...(e.values ?? [])] })),
    ],
  }));
}

/**
 * ANDs eligibility into every required nodeSelectorTerm of `spec`; creates one term when there are
 * none. Writes only `spec.affinity` (a new object): the affinity below may be shared with another pod.
 */
export function addEligibilityAffinity(spec: V1PodSpec, config: Config): void {
  const alternatives = eligibilityAlternatives(config);
  const affinity = spec.affinity ?? {};
  const nodeAffinity = affinity.nodeAffinity ?? {};
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required?.nodeSelectorTerms.length ? required.nodeSelectorTerms : [{}];
  spec.affinity = {
    ...affinity,
    nodeAffinity: {
      ...nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        ...required,
        nodeSelectorTerms: terms.flatMap((t) => andInto(t, alternatives)),
      },
    },
  };
}

/** The term that `andInto` turned into `terms[0..alternatives.length)`, if any. */
function sourceTerm(
  terms: readonly V1NodeSelectorTerm[],
  alternatives: readonly Conjunction[],
): V1NodeSelectorTerm | undefined {
  const first = terms[0];
  if (!first || terms.length < alternatives.length) return undefined;
  const expressions = first.matchExpressions ?? [];
  for (let added = 1; added <= Math.min(expressions.length, alternatives[0]!.length); added++) {
    const kept = expressions.slice(0, expressions.length - added);
    const candidate: V1NodeSelectorTerm = { ...first };
    if (kept.length > 0) candidate.matchExpressions = kept;
    else delete candidate.matchExpressions;
    const produced = andInto(candidate, alternatives);
    if (
      produced.length === alternatives.length &&
      isDeepStrictEqual(produced, terms.slice(0, produced.length))
    ) {
      return candidate;
    }
  }
  return undefined;
}

/** The inverse of `addEligibilityAffinity` (in place): for every pod P it produced, adding again gives P. */
export function removeEligibilityAffinity(spec: V1PodSpec, config: Config): void {
  const alternatives = eligibilityAlternatives(config);
  const nodeAffinity = spec.affinity?.nodeAffinity;
  const required = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!spec.affinity || !nodeAffinity || !required) return;
  const terms = required.nodeSelectorTerms;
  const original: V1NodeSelectorTerm[] = [];
  for (let i = 0; i < terms.length;) {
    const source = sourceTerm(terms.slice(i), alternatives);
    original.push(source ?? terms[i]!);
    i += source ? alternatives.length : 1;
  }
  if (original.length === 1 && Object.keys(original[0]!).length === 0) {
    delete nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    if (Object.keys(nodeAffinity).length === 0) delete spec.affinity.nodeAffinity;
    if (Object.keys(spec.affinity).length === 0) delete spec.affinity;
  } else {
    required.nodeSelectorTerms = original;
  }
}
