// A node's kernel judgement, memoized per facts object: the caches replace a node's facts on every
// change, so a judgement is computed once per node version, not once per binding review.

import type { NodeFacts } from "./view.js";
import { judgeKernel, type KernelJudgement } from "./kernel.js";

const memo = new WeakMap<NodeFacts, { minimum: string; judgement: KernelJudgement }>();

export function nodeJudgement(node: NodeFacts, minimum: string): KernelJudgement {
  const hit = memo.get(node);
  if (hit !== undefined && hit.minimum === minimum) return hit.judgement;
  const judgement = judgeKernel(node, minimum);
  memo.set(node, { minimum, judgement });
  return judgement;
}

/** The value of the node eligibility label that matches a judgement. */
export function eligibleLabelValue(judgement: KernelJudgement): "true" | "false" {
  return judgement.verdict === "eligible" ? "true" : "false";
}
