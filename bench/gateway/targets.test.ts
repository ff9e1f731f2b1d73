import { describe, expect, it } from "vitest";
import { isMet, median, targetTable, targets, type Figures } from "./targets.ts";

const figures = (overrides: Figures = {}): Figures => ({
  inflightErrors: 0,
  inflightGatewayMs: 2600,
  inflightDirectMs: 2000,
  inflightRssMb: 300,
  gatewayMainUs: 500,
  passthroughMainUs: 150,
  sdkMainUs: 250,
  cacheHitRps: 4000,
  passthroughRps: 3500,
  gatewayP50Ms: 1.2,
  directP50Ms: 0.5,
  gatewayP99Ms: 9,
  directP99Ms: 2,
  gatewayTtftMs: 1,
  directTtftMs: 0.3,
  restRssMb: 95,
  loadRssMb: 180,
  fairnessWaitMs: 400,
  providerMs: 2000,
  ...overrides,
});

describe("the benchmark's targets", () => {
  it("takes the median of the finite figures", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it("reads each target's figure as a ratio or count of one run", () => {
    const byMeasure = new Map(targets.map((t) => [t.measure, t.figure(figures())]));
    expect(byMeasure.get("in flight at once: wall time, gateway / direct")).toBeCloseTo(1.3);
    expect(
      byMeasure.get("main-thread CPU per call, cache off, / (passthrough + bare SDK)"),
    ).toBeCloseTo(1.25);
    expect(byMeasure.get("added latency at 500 req/s paced, p50")).toBeCloseTo(0.7);
  });

  it("meets a maximum at or under it and a minimum at or over it; a missing figure is not met", () => {
    const [errors] = targets;
    const cacheHit = targets.find((t) => t.kind === "min")!;
    expect(isMet(errors!, 0)).toBe(true);
    expect(isMet(errors!, 1)).toBe(false);
    expect(isMet(cacheHit, 1)).toBe(true);
    expect(isMet(cacheHit, 0.99)).toBe(false);
    expect(isMet(errors!, NaN)).toBe(false);
  });

  it("prints every target with the median of the runs and whether it is met", () => {
    const lines = targetTable([
      figures({ restRssMb: 90 }),
      figures({ restRssMb: 120 }),
      figures({ restRssMb: 110 }),
    ]);
    expect(lines).toHaveLength(targets.length + 1);
    const rest = lines.find((line) => line.startsWith("resident memory at rest"))!;
    expect(rest).toMatch(/110 MB\s+≤ 100 MB\s+NOT MET\s+90 MB, 120 MB, 110 MB$/);
    expect(lines.filter((line) => / met /.test(line))).toHaveLength(targets.length - 1);
  });
});
