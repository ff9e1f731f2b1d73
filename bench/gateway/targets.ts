/**
 * The gateway's performance targets (docs/performance.md, "Targets"), each a figure of one run
 * of the benchmark against a limit, and the table the benchmark prints: each figure as the
 * median of the runs, with whether it meets its target. Pure: no timing, no processes.
 */

/** One run's figures, by name (see `targets` for the ones the targets read). */
export type Figures = Record<string, number>;

export interface Target {
  /** What is measured, as the table shows it. */
  measure: string;
  /** The figure, from a run's figures (NaN when the run did not measure it). */
  figure: (figures: Figures) => number;
  /** How the figure is shown. */
  format: (value: number) => string;
  /** The limit, and whether the figure must stay at or under it ("max") or reach it ("min"). */
  limit: number;
  kind: "max" | "min";
  /** The target as the table shows it. */
  wanted: string;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const mb = (value: number) => `${value.toFixed(0)} MB`;
const times = (value: number) => `${value.toFixed(2)} ×`;
const count = (value: number) => value.toFixed(0);

export const targets: Target[] = [
  {
    measure: "in flight at once, provider slow: errors",
    figure: (f) => f.inflightErrors!,
    format: count,
    limit: 0,
    kind: "max",
    wanted: "0 errors",
  },
  {
    measure: "in flight at once: wall time, gateway / direct",
    figure: (f) => f.inflightGatewayMs! / f.inflightDirectMs!,
    format: times,
    limit: 1.5,
    kind: "max",
    wanted: "≤ 1.5 ×",
  },
  {
    measure: "in flight at once: resident memory, peak",
    figure: (f) => f.inflightRssMb!,
    format: mb,
    limit: 400,
    kind: "max",
    wanted: "≤ 400 MB",
  },
  {
    measure: "main-thread CPU per call, cache off, / (passthrough + bare SDK)",
    figure: (f) => f.gatewayMainUs! / (f.passthroughMainUs! + f.sdkMainUs!),
    format: times,
    limit: 1.4,
    kind: "max",
    wanted: "≤ 1.4 ×",
  },
  {
    measure: "cache-hit throughput / passthrough",
    figure: (f) => f.cacheHitRps! / f.passthroughRps!,
    format: times,
    limit: 1,
    kind: "min",
    wanted: "≥ 1.0 ×",
  },
  {
    measure: "added latency at 500 req/s paced, p50",
    figure: (f) => f.gatewayP50Ms! - f.directP50Ms!,
    format: ms,
    limit: 1,
    kind: "max",
    wanted: "≤ 1 ms",
  },
  {
    measure: "added latency at 500 req/s paced, p99",
    figure: (f) => f.gatewayP99Ms! - f.directP99Ms!,
    format: ms,
    limit: 10,
    kind: "max",
    wanted: "≤ 10 ms",
  },
  {
    measure: "streaming: added time to first token, p50",
    figure: (f) => f.gatewayTtftMs! - f.directTtftMs!,
    format: ms,
    limit: 1,
    kind: "max",
    wanted: "≤ 1 ms",
  },
  {
    measure: "resident memory at rest",
    figure: (f) => f.restRssMb!,
    format: mb,
    limit: 100,
    kind: "max",
    wanted: "≤ 100 MB",
  },
  {
    measure: "resident memory, peak over the sustained load",
    figure: (f) => f.loadRssMb!,
    format: mb,
    limit: 200,
    kind: "max",
    wanted: "≤ 200 MB",
  },
  {
    measure: "fairness: another token's call waits, / provider latency",
    figure: (f) => f.fairnessWaitMs! / f.providerMs!,
    format: times,
    limit: 1,
    kind: "max",
    wanted: "≤ 1.0 ×",
  },
];

/** The median of the finite values (NaN when there is none). */
export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function isMet(target: Target, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  return target.kind === "max" ? value <= target.limit : value >= target.limit;
}

/** The table of targets: each figure's median over the runs, met or not, and each run's figure. */
export function targetTable(runs: Figures[]): string[] {
  const rows = targets.map((target) => {
    const each = runs.map(target.figure);
    const value = median(each);
    return [
      target.measure,
      Number.isFinite(value) ? target.format(value) : "n/a",
      target.wanted,
      isMet(target, value) ? "met" : "NOT MET",
      each.map((v) => (Number.isFinite(v) ? target.format(v) : "n/a")).join(", "),
    ];
  });
  const header = ["measure", "median", "target", "", "each run"];
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => row[column]!.length)),
  );
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
}
