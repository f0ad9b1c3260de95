// The app container is replaced by the supervisor, so each of its fields is carried into the CVM,
// refused, or dropped with a warning; a field cvm-admission does not know (one a newer Kubernetes
// added) is dropped with a warning too, never silently.

import type { V1Pod } from "@kubernetes/client-node";
import { expect, it } from "vitest";
import { asCvmPod, mutate } from "./support.js";

const pod = (container: Record<string, unknown>): V1Pod =>
  asCvmPod({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "ws", namespace: "cvm-workspaces" },
    spec: { containers: [{ name: "dev", image: "ubuntu:24.04", ...container }] },
  });

it("warns about a container field it does not know and leaves it out of the supervisor", () => {
  const decision = mutate(pod({ futureField: { enabled: true } }));
  expect(decision.allowed).toBe(true);
  if (!decision.allowed) return;
  expect(decision.warnings).toContain(
    "spec.containers[0].futureField: unknown to cvm-admission; dropped (it does not reach the CVM)",
  );
  expect(JSON.stringify(decision.mutated)).not.toContain("futureField");
});

it("raises no such warning for a container with only known fields", () => {
  const decision = mutate(pod({ workingDir: "/home/dev", terminationMessagePolicy: "File" }));
  expect(decision.allowed).toBe(true);
  expect(decision.warnings.filter((w) => w.includes("unknown to cvm-admission"))).toEqual([]);
});
