/**
 * Ledger benchmark: what SQLite's `synchronous = FULL` costs the usage ledger next to `NORMAL`,
 * both in WAL mode, on a real file. Writers record rows through the ledger back to back (each
 * waits for its row to be committed, as an answer does); with one writer every row is a commit
 * of its own, with many the rows of one event-loop turn share a commit (group commit). Prints
 * rows/s, commits/s, the wait for a commit (p50/p99) and the FULL/NORMAL ratios.
 *
 *   npm run bench:ledger [-- --seconds 2] [-- --writers 1,64] [-- --dir /var/lib/officellm]
 *
 * `--dir` puts the files on the disk the server would use (the default is the system's temporary
 * directory, which is a RAM disk on some systems: fsync is then free and the figures mean nothing).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { systemClock } from "../../server/clock.ts";
import { UsageLedger } from "../../server/llm/billing/usage-ledger.ts";
import { SQLITE_SYNCHRONOUS } from "../../server/store/database.ts";
import { openStore } from "../../server/store/store.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    writers: { type: "string", default: "1,64" },
    dir: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const writerCounts = values.writers.split(",").map(Number);
const levels = ["NORMAL", "FULL"] as const;
type Level = (typeof levels)[number];

interface Figures {
  rowsPerSecond: number;
  commitsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** `writers` callers recording rows back to back for `seconds` on a fresh file at `level`. */
async function measure(dir: string, level: Level, writers: number): Promise<Figures> {
  let commits = 0;
  const store = await openStore(`sqlite:${join(dir, `ledger-${level}-${writers}.db`)}`, {
    log(event) {
      if (event.level === "query" && event.query.sql.startsWith('insert into "usage"')) commits++;
    },
  });
  try {
    await sql.raw(`pragma synchronous = ${level}`).execute(store.db);
    const ledger = new UsageLedger(store, systemClock, 120_000);
    const caller = {
      tokenId: "tok_bench",
      name: "bench",
      scopes: ["llm" as const],
      rpm: null,
      budgetUsd: null,
      expiresAt: null,
    };
    const entry = {
      provider: "openai",
      model: "gpt-4.1-mini",
      keyLabel: null,
      usage: { inputTokens: 420, outputTokens: 180 },
      costNanoUsd: 456_000,
      cached: false,
      latencyMs: 850,
      errorCode: null,
    };
    const run = async (forMs: number, latencies: number[]) => {
      const end = performance.now() + forMs;
      let sequence = 0;
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          while (performance.now() < end) {
            const started = performance.now();
            await ledger.record(caller, `req_${writer}_${sequence++}`, entry);
            latencies.push(performance.now() - started);
          }
        }),
      );
    };
    await run(300, []); // warm-up: statements prepared, file grown
    commits = 0;
    const latencies: number[] = [];
    const started = performance.now();
    await run(seconds * 1000, latencies);
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      rowsPerSecond: latencies.length / elapsed,
      commitsPerSecond: commits / elapsed,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  } finally {
    await store.close();
  }
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

async function main() {
  const dir = mkdtempSync(join(values.dir ?? tmpdir(), "officellm-ledger-bench-"));
  try {
    console.log(
      `Usage ledger, SQLite WAL on ${dir}, ${seconds} s per run; the server uses ${SQLITE_SYNCHRONOUS}.`,
    );
    for (const writers of writerCounts) {
      const figures = {} as Record<Level, Figures>;
      for (const level of levels) {
        const f = (figures[level] = await measure(dir, level, writers));
        console.log(
          `${String(writers).padStart(3)} writer(s), synchronous=${level.padEnd(6)} ` +
            `${fmt(f.rowsPerSecond, 0).padStart(7)} rows/s ` +
            `${fmt(f.commitsPerSecond, 0).padStart(6)} commits/s ` +
            `${fmt(f.rowsPerSecond / f.commitsPerSecond, 1).padStart(5)} rows/commit  ` +
            `wait p50 ${fmt(f.p50Ms, 3)} ms, p99 ${fmt(f.p99Ms, 3)} ms`,
        );
      }
      const { NORMAL: normal, FULL: full } = figures;
      const added = (ms: number) => `${ms >= 0 ? "+" : "-"}${fmt(Math.abs(ms), 3)} ms`;
      console.log(
        `${String(writers).padStart(3)} writer(s), FULL/NORMAL: ` +
          `throughput ×${fmt(full.rowsPerSecond / normal.rowsPerSecond)}, ` +
          `wait p50 ×${fmt(full.p50Ms / normal.p50Ms)} (${added(full.p50Ms - normal.p50Ms)}), ` +
          `p99 ×${fmt(full.p99Ms / normal.p99Ms)} (${added(full.p99Ms - normal.p99Ms)})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
