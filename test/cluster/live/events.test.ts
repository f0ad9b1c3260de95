// Denial Events against the fake apiserver (test/support/fake-apiserver.ts stands in for the
// apiserver because none can run here): written in the background, never for dry runs, bounded,
// and never an exception for the caller.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EVENT_REASON, EventRecorder, eventsDropped } from "../../../src/cluster/live/events.js";
import { KubeClient } from "../../../src/cluster/live/kube-client.js";
import { startFakeApiServer, type FakeApiServer } from "../../support/fake-apiserver.js";

let api: FakeApiServer;
beforeEach(async () => {
  api = await startFakeApiServer();
});
afterEach(async () => {
  await api.close();
});

const dropped = async (reason: string) =>
  (await eventsDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe("denial events", () => {
  it("writes a Warning Event on the pod, returning before the write", async () => {
    api.delayMs = 200;
    const recorder = new EventRecorder(new KubeClient(api.kubeConfig()));
    const began = Date.now();
    recorder.recordDenial({
      namespace: "work",
      podName: "vm",
      message: "CVM pod work/vm cannot be bound to node old",
    });
    expect(Date.now() - began).toBeLessThan(50);
    await recorder.flush();
    const [event] = api.list("events");
    expect(event).toMatchObject({
      metadata: { namespace: "work" },
      involvedObject: { kind: "Pod", namespace: "work", name: "vm" },
      reason: EVENT_REASON,
      type: "Warning",
      message: "CVM pod work/vm cannot be bound to node old",
      count: 1,
    });
    expect(event!.metadata!.name).toMatch(/^vm\./);
    expect(event!["firstTimestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("writes nothing for a dry run", async () => {
    const recorder = new EventRecorder(new KubeClient(api.kubeConfig()));
    recorder.recordDenial({ namespace: "work", podName: "vm", message: "no", dryRun: true });
    await recorder.flush();
    expect(api.requests).toEqual([]);
  });

  it("drops what does not fit in its queue, and counts it", async () => {
    api.delayMs = 50;
    const recorder = new EventRecorder(new KubeClient(api.kubeConfig()), 3);
    const before = await dropped("queue-full");
    for (let i = 0; i < 10; i++)
      recorder.recordDenial({ namespace: "work", podName: `p${i}`, message: "denied" });
    await recorder.flush();
    // One is taken off the queue at once, three wait: four written, six dropped.
    expect(api.list("events")).toHaveLength(4);
    expect((await dropped("queue-full")) - before).toBe(6);
  });

  it("never throws when the apiserver fails or is gone, and truncates long messages", async () => {
    const recorder = new EventRecorder(new KubeClient(api.kubeConfig()));
    const before = await dropped("write-failed");
    api.failNext(1, 500);
    recorder.recordDenial({ namespace: "work", podName: "a", message: "x".repeat(5000) });
    recorder.recordDenial({ namespace: "work", podName: "b", message: "y".repeat(5000) });
    await recorder.flush();
    expect((await dropped("write-failed")) - before).toBe(1);
    expect((api.list("events")[0]!["message"] as string).length).toBe(1024);
    await api.close();
    expect(() => recorder.recordDenial({ namespace: "work", podName: "c", message: "z" })).not.toThrow();
    await recorder.flush();
    api = await startFakeApiServer();
  });
});
