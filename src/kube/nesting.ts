// How deeply a decoded JSON value nests, counted without recursion: JSON.stringify and any
// recursive walk overflow the stack on values tens of thousands of levels deep, which a forged
// review can carry but kube-apiserver never sends (its decoder stops at 10,000 levels, and a typed
// Pod, after unknown fields are pruned, nests a few dozen levels at most).

/** Deeper than any object the apiserver sends us. */
export const MAX_OBJECT_NESTING = 1000;

export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}
