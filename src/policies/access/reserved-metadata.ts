// cvm.dev/* labels and annotations are written by cvm-admission when a pod is created and never
// change afterwards. Keys are compared byte for byte, never normalised: a Cyrillic "сvm.dev/enabled"
// replacing the real key is a removal, not "the same key". Kubernetes only accepts ASCII keys, so a
// non-ASCII key in a request is protected as well (it can only be a look-alike or a forged request).

import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { Config } from "../../config/config.js";

export const RESERVED_PREFIX = "cvm.dev/";

export function isReservedKey(key: string, config: Config): boolean {
  // eslint-disable-next-line no-control-regex
  const nonAscii = /[^\x00-\x7f]/.test(key);
  return nonAscii || key.toLowerCase().startsWith(RESERVED_PREFIX) || key === config.labels.podOptIn;
}

/** JSON quoting with every non-ASCII character escaped, so a look-alike is visible in a message. */
export function showKey(key: string): string {
  return JSON.stringify(key).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function reservedEntries(
  map: Readonly<Record<string, string>> | undefined,
  config: Config,
): Map<string, string> {
  return new Map(Object.entries(map ?? {}).filter(([key]) => isReservedKey(key, config)));
}

function diffOne(
  kind: "label" | "annotation",
  before: Map<string, string>,
  after: Map<string, string>,
): string[] {
  const changes: string[] = [];
  for (const [key, value] of before) {
    if (!after.has(key)) changes.push(`${kind} ${showKey(key)} removed`);
    else if (after.get(key) !== value) changes.push(`${kind} ${showKey(key)} changed`);
  }
  for (const key of after.keys()) {
    if (!before.has(key)) changes.push(`${kind} ${showKey(key)} added`);
  }
  return changes;
}

/** Every reserved label or annotation that an update adds, removes or changes. */
export function reservedMetadataChanges(
  before: V1ObjectMeta | undefined,
  after: V1ObjectMeta | undefined,
  config: Config,
): string[] {
  return [
    ...diffOne("label", reservedEntries(before?.labels, config), reservedEntries(after?.labels, config)),
    ...diffOne(
      "annotation",
      reservedEntries(before?.annotations, config),
      reservedEntries(after?.annotations, config),
    ),
  ];
}
