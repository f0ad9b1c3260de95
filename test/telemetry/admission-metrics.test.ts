// The admission metrics are kept in plain numbers on the request path and handed to prom-client
// when the registry is read; these tests read the registry as /metrics does and check that no
// admission is lost or counted twice on the way, across latency batches and repeated scrapes.

import { describe, expect, it } from "vitest";
import {
  admissionAnswered,
  admissionEnded,
  admissionStarted,
} from "../../src/telemetry/admission-metrics.js";
import { registry } from "../../src/telemetry/metrics.js";

/** The value of one sample line of the exposition text, 0 when absent. */
async function sample(line: string): Promise<number> {
  const text = await registry.metrics();
  const found = text.split("\n").find((l) => l.startsWith(line + " "));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

const VALIDATE_ALLOWED =
  'cvm_admission_requests_total{webhook="validate",operation="CREATE",decision="allowed"}';
const VALIDATE_DENIED =
  'cvm_admission_requests_total{webhook="validate",operation="CONNECT",decision="denied"}';
const VALIDATE_COUNT = 'cvm_admission_request_duration_seconds_count{webhook="validate"}';
const VALIDATE_SUM = 'cvm_admission_request_duration_seconds_sum{webhook="validate"}';
const FAST_BUCKET = 'cvm_admission_request_duration_seconds_bucket{le="0.005",webhook="validate"}';
const IN_FLIGHT = "cvm_admission_requests_in_flight";

describe("admission metrics", () => {
  it("counts every answered admission by label set, across several latency batches", async () => {
    const before = await sample(VALIDATE_ALLOWED);
    const countBefore = await sample(VALIDATE_COUNT);
    // 1,000 is not a multiple of the batch size: the last partial batch must show too.
    for (let i = 0; i < 1000; i++) admissionAnswered("validate", "CREATE", "allowed", 0.001);
    for (let i = 0; i < 7; i++) admissionAnswered("validate", "CONNECT", "denied", 0.002);
    expect(await sample(VALIDATE_ALLOWED)).toBe(before + 1000);
    expect(await sample(VALIDATE_DENIED)).toBe(7);
    expect(await sample(VALIDATE_COUNT)).toBe(countBefore + 1007);
  });

  it("puts each latency in its bucket and the sum", async () => {
    const fast = await sample(FAST_BUCKET);
    const count = await sample(VALIDATE_COUNT);
    const sum = await sample(VALIDATE_SUM);
    admissionAnswered("validate", "CREATE", "allowed", 0.004);
    admissionAnswered("validate", "CREATE", "allowed", 0.2);
    expect(await sample(FAST_BUCKET)).toBe(fast + 1);
    expect(await sample(VALIDATE_COUNT)).toBe(count + 2);
    expect(await sample(VALIDATE_SUM)).toBeCloseTo(sum + 0.204, 9);
  });

  it("does not count an admission twice when the registry is read again", async () => {
    admissionAnswered("validate", "CREATE", "allowed", 0.001);
    const first = await sample(VALIDATE_ALLOWED);
    const firstCount = await sample(VALIDATE_COUNT);
    expect(await sample(VALIDATE_ALLOWED)).toBe(first);
    expect(await sample(VALIDATE_COUNT)).toBe(firstCount);
  });

  it("reports the admissions being decided now", async () => {
    const idle = await sample(IN_FLIGHT);
    admissionStarted();
    admissionStarted();
    expect(await sample(IN_FLIGHT)).toBe(idle + 2);
    admissionEnded();
    admissionEnded();
    expect(await sample(IN_FLIGHT)).toBe(idle);
  });
});
