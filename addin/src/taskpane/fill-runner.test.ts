import { describe, expect, it, vi } from "vitest";
import { ApiClientError } from "../shared/api-client.ts";
import { ManualTimer } from "../shared/manual-timer.ts";
import type { BatchItemResult } from "./api.ts";
import type { FillRow } from "./fill-plan.ts";
import { FillRunner, type FillRunnerOptions, type FillSnapshot } from "./fill-runner.ts";

const rows = (n: number): FillRow[] =>
  Array.from({ length: n }, (_, i) => ({ row: i + 2, prompt: `p${i + 2}` }));

const answer = (row: FillRow): BatchItemResult => ({
  id: String(row.row),
  ok: true,
  completionId: `c${row.row}`,
  model: "demo",
  provider: "demo",
  text: ` answer ${row.prompt} `,
  usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
  cached: false,
  latencyMs: 1,
});

function rig(options: Partial<FillRunnerOptions> & { rows: FillRow[] }) {
  const written = new Map<number, string>();
  const snapshots: FillSnapshot[] = [];
  let settle: (s: FillSnapshot) => void = () => {};
  const runner = new FillRunner({
    chunkSize: 3,
    concurrency: 2,
    send: async (chunk) => chunk.map(answer),
    write: async (cells) => cells.forEach((c) => written.set(c.row, c.value)),
    onChange: (s) => {
      snapshots.push(s);
      if (["done", "cancelled", "paused"].includes(s.status)) settle(s);
    },
    ...options,
  });
  const next = () => new Promise<FillSnapshot>((resolve) => (settle = resolve));
  return { runner, written, snapshots, next };
}

describe("FillRunner", () => {
  it("sends rows in chunks, a few at a time, and writes each chunk as it arrives", async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const { runner, written, next } = rig({
      rows: rows(10),
      send: async (chunk) => {
        sizes.push(chunk.length);
        most = Math.max(most, ++inFlight);
        // Yields: the runner starts its other chunks in flight before this one ends.
        await Promise.resolve();
        inFlight--;
        return chunk.map(answer);
      },
    });
    const finished = next();
    runner.start();
    const final = await finished;
    expect(final).toMatchObject({ status: "done", total: 10, done: 10, failed: [], pending: 0 });
    expect(sizes.sort()).toEqual([1, 3, 3, 3]);
    expect(most).toBe(2);
    expect(written.get(2)).toBe("answer p2");
    expect(written.size).toBe(10);
  });

  it("marks failed rows in their cells and retries them on their own", async () => {
    let fail = true;
    const { runner, written, next } = rig({
      rows: rows(4),
      send: async (chunk) =>
        chunk.map((row) =>
          row.row === 3 && fail
            ? { id: "3", ok: false, error: { code: "upstream_error", message: "boom" } }
            : answer(row),
        ),
    });
    let final = next();
    runner.start();
    expect(await final).toMatchObject({
      status: "done",
      done: 3,
      failed: [{ row: 3, message: "boom" }],
    });
    expect(written.get(3)).toBe("#FAILED: boom");

    fail = false;
    final = next();
    runner.retry([3]);
    expect(await final).toMatchObject({ status: "done", done: 4, failed: [] });
    expect(written.get(3)).toBe("answer p3");
  });

  it("cancels: requests in flight are aborted and their rows stay unfilled", async () => {
    // The first chunk is answered; the others only end when their request is aborted, so the
    // run can end (all requests settled) only if the cancel aborted them.
    const { runner, written, next } = rig({
      rows: rows(9),
      send: (chunk, signal) =>
        chunk[0]!.row === 2
          ? Promise.resolve(chunk.map(answer))
          : new Promise((_resolve, reject) => {
              signal.addEventListener("abort", () =>
                reject(new DOMException("aborted", "AbortError")),
              );
            }),
    });
    const final = next();
    runner.start();
    await vi.waitFor(() => expect(written.size).toBe(3), { interval: 1 });
    runner.cancel();
    expect(await final).toMatchObject({ status: "cancelled", done: 3, pending: 6, failed: [] });
    expect(written.size).toBe(3);
  });

  it("pauses and resumes", async () => {
    const { runner, written, next } = rig({ rows: rows(12), concurrency: 1 });
    let settled = next();
    runner.start();
    runner.pause();
    const paused = await settled;
    expect(paused.status).toBe("paused");
    expect(paused.done).toBe(3); // the chunk in flight finished
    settled = next();
    runner.resume();
    expect((await settled).status).toBe("done");
    expect(written.size).toBe(12);
  });

  it("pauses on a rate limit instead of failing rows, and resumes after Retry-After", async () => {
    const timer = new ManualTimer();
    let limited = true;
    const { runner, written, next } = rig({
      rows: rows(6),
      concurrency: 1,
      timer,
      send: async (chunk) => {
        if (limited) {
          limited = false;
          throw new ApiClientError("rate_limited", "slow down", 429, 7);
        }
        return chunk.map(answer);
      },
    });
    let settled = next();
    runner.start();
    const paused = await settled;
    expect(paused).toMatchObject({ status: "paused", failed: [], pending: 6 });
    expect(paused.notice).toMatch(/Try again in 7 s/);
    expect(paused.resumeAt).toBe(timer.now() + 7000);
    expect(timer.pending).toEqual([7000]);
    settled = next();
    timer.advance(7000);
    expect(await settled).toMatchObject({ status: "done", done: 6, notice: null });
    expect(written.size).toBe(6);
  });

  it("marks a chunk failed on other errors, and a failed write fails its rows", async () => {
    const { runner, next } = rig({
      rows: rows(2),
      chunkSize: 1,
      send: async (chunk) => {
        if (chunk[0]!.row === 2) throw new ApiClientError("upstream_timeout", "late", 504);
        return chunk.map(answer);
      },
      write: async (cells) => {
        if (cells[0]!.row === 3) throw new Error("cell is being edited");
      },
    });
    const final = next();
    runner.start();
    const snapshot = await final;
    expect(snapshot.failed).toEqual([
      { row: 2, message: "The model took too long to answer. Try again, or ask for less." },
      { row: 3, message: "Could not write to the sheet: cell is being edited" },
    ]);
  });
});
