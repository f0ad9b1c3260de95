// The byte budget for large review bodies (src/server/large-body-gate.ts): small bodies never wait,
// large ones take turns within the budget in arrival order, and one that cannot start in time to
// be answered before its webhook timeout is told so at once or at its deadline, never later.

import { describe, expect, it } from "vitest";
import {
  LARGE_BODY_BUDGET_BYTES,
  LARGE_BODY_BYTES,
  LargeBodyGate,
  requestTimeoutMs,
} from "../../src/server/large-body-gate.js";

const MB = 1024 * 1024;

describe("requestTimeoutMs", () => {
  it.each([
    ["/mutate?timeout=5s", 5_000],
    ["/validate?timeout=3s", 3_000],
    ["/mutate?x=1&timeout=1m0s", 60_000],
    ["/mutate?timeout=1.5s", 1_500],
    ["/mutate?timeout=250ms", 250],
    ["/mutate", undefined],
    ["/mutate?timeout=soon", undefined],
  ])("%s -> %s", (url, ms) => {
    expect(requestTimeoutMs(url)).toBe(ms);
  });
});

describe("LargeBodyGate", () => {
  it("lets small bodies through at once, even while the budget is used up", async () => {
    const gate = new LargeBodyGate(4 * MB);
    const big = await gate.admit(4 * MB, performance.now(), 10_000);
    expect(big).toBeTypeOf("function");
    expect(await gate.admit(LARGE_BODY_BYTES, performance.now(), 10_000)).toBeTypeOf("function");
    big!();
  });

  it("decides large bodies within the budget, the next when one is released, in arrival order", async () => {
    const gate = new LargeBodyGate(6 * MB);
    const order: string[] = [];
    const take = (name: string, bytes: number) =>
      gate.admit(bytes, performance.now(), 10_000).then((release) => {
        order.push(name);
        return release!;
      });
    const a = await take("a", 3 * MB);
    const b = await take("b", 2 * MB);
    const c = take("c", 3 * MB);
    // d would fit beside a and b, but c came first.
    const d = take("d", 1 * MB);
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(["a", "b"]);
    a();
    const released = await Promise.all([c, d]);
    expect(order).toEqual(["a", "b", "c", "d"]);
    for (const release of [b, ...released]) release();
  });

  it("runs a body larger than the whole budget alone", async () => {
    const gate = new LargeBodyGate(LARGE_BODY_BUDGET_BYTES);
    const huge = await gate.admit(LARGE_BODY_BUDGET_BYTES * 2, performance.now(), 10_000);
    expect(huge).toBeTypeOf("function");
    let second: unknown = "waiting";
    void gate.admit(MB, performance.now(), 10_000).then((r) => (second = r));
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe("waiting");
    huge!();
    await new Promise((r) => setTimeout(r, 0));
    expect(second).toBeTypeOf("function");
  });

  it("answers 'busy' by the deadline when the budget stays taken, and at once when already too late", async () => {
    const gate = new LargeBodyGate(3 * MB);
    const holder = await gate.admit(3 * MB, performance.now(), 10_000);
    const timeoutMs = 2_000;
    const asked = performance.now();
    const waited = await gate.admit(MB, asked, timeoutMs);
    const tookMs = performance.now() - asked;
    expect(waited).toBeUndefined();
    // It waited for the budget while a start could still be answered in time, and no longer.
    expect(tookMs).toBeGreaterThan(timeoutMs / 4);
    expect(tookMs).toBeLessThan(timeoutMs);
    // Arrived long ago: no point in queueing.
    const lateAsked = performance.now();
    expect(await gate.admit(2 * MB, lateAsked - timeoutMs, timeoutMs)).toBeUndefined();
    expect(performance.now() - lateAsked).toBeLessThan(50);
    holder!();
    // The budget is free again: a body with time left is decided.
    expect(await gate.admit(2 * MB, performance.now(), 10_000)).toBeTypeOf("function");
  });
});
