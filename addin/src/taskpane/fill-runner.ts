/**
 * Runs a fill: rows go to the backend in chunks (one /api/v1/batch request each, a few at a
 * time), and each chunk's answers are written as soon as they arrive. Pause lets the requests
 * in flight finish; cancel aborts them. A row that fails is marked (in its cell and in the
 * snapshot) and can be retried on its own. A rate limit, an exhausted budget or a rejected
 * token pauses the run instead of failing every remaining row; a rate limit resumes by itself
 * once its Retry-After has passed.
 */
import { ApiClientError } from "../shared/api-client.ts";
import { realTimer, type Timer } from "../shared/timer.ts";
import type { BatchItemResult } from "./api.ts";
import { describeError, isAbort } from "./errors.ts";
import { FAILED_MARKER, type FillRow } from "./fill-plan.ts";

export type FillStatus =
  "idle" | "running" | "pausing" | "paused" | "cancelling" | "cancelled" | "done";

export interface FillSnapshot {
  status: FillStatus;
  total: number;
  done: number;
  failed: { row: number; message: string }[];
  /** Rows not sent yet (or sent and abandoned by a cancel). */
  pending: number;
  /** Why the run paused by itself, as a sentence. */
  notice: string | null;
  /** When a rate-limited run resumes by itself (epoch ms). */
  resumeAt: number | null;
}

export interface FillRunnerOptions {
  rows: readonly FillRow[];
  chunkSize?: number;
  concurrency?: number;
  send(rows: FillRow[], signal: AbortSignal): Promise<BatchItemResult[]>;
  write(cells: { row: number; value: string }[]): Promise<void>;
  onChange(snapshot: FillSnapshot): void;
  /** Longest Retry-After the run waits out by itself. */
  maxAutoResumeSeconds?: number;
  /** When a rate-limited run resumes: the real timers unless a test passes its own. */
  timer?: Timer;
}

/** Errors that would fail every following chunk too: pause rather than mark rows failed. */
const PAUSING_CODES = new Set(["rate_limited", "budget_exceeded", "unauthorized", "forbidden"]);

type RowState = {
  row: FillRow;
  state: "pending" | "running" | "done" | "failed";
  message?: string;
};

export class FillRunner {
  readonly #options: Required<Omit<FillRunnerOptions, "rows">>;
  readonly #rows = new Map<number, RowState>();
  #queue: number[] = [];
  #status: FillStatus = "idle";
  #active = 0;
  #controller = new AbortController();
  #notice: string | null = null;
  #resumeAt: number | null = null;
  #cancelResume: (() => void) | undefined;

  constructor(options: FillRunnerOptions) {
    this.#options = {
      chunkSize: 10,
      concurrency: 2,
      maxAutoResumeSeconds: 120,
      timer: realTimer,
      ...options,
    };
    for (const row of options.rows) {
      this.#rows.set(row.row, { row, state: "pending" });
      this.#queue.push(row.row);
    }
  }

  get status(): FillStatus {
    return this.#status;
  }

  snapshot(): FillSnapshot {
    const states = [...this.#rows.values()];
    return {
      status: this.#status,
      total: states.length,
      done: states.filter((s) => s.state === "done").length,
      failed: states
        .filter((s) => s.state === "failed")
        .map((s) => ({ row: s.row.row, message: s.message ?? "Failed" })),
      pending: states.filter((s) => s.state === "pending").length,
      notice: this.#notice,
      resumeAt: this.#resumeAt,
    };
  }

  start(): void {
    if (this.#status !== "idle") return;
    this.#run();
  }

  pause(): void {
    if (this.#status !== "running") return;
    this.#clearTimer();
    this.#status = this.#active > 0 ? "pausing" : "paused";
    this.#emit();
  }

  resume(): void {
    if (this.#status !== "paused" && this.#status !== "pausing") return;
    this.#run();
  }

  /** Aborts the requests in flight; their rows and those not sent stay unfilled. */
  cancel(): void {
    if (!["running", "pausing", "paused"].includes(this.#status)) return;
    this.#clearTimer();
    this.#notice = null;
    this.#controller.abort();
    this.#controller = new AbortController();
    this.#status = this.#active > 0 ? "cancelling" : "cancelled";
    this.#emit();
  }

  /** Sends failed rows again (the given ones, else all of them). */
  retry(rows?: readonly number[]): void {
    const targets = (rows ?? [...this.#rows.keys()]).filter(
      (row) => this.#rows.get(row)?.state === "failed",
    );
    for (const row of targets) {
      const state = this.#rows.get(row)!;
      state.state = "pending";
      delete state.message;
      this.#queue.push(row);
    }
    if (targets.length > 0 && this.#status !== "running") this.#run();
    else this.#emit();
  }

  #run(): void {
    this.#clearTimer();
    this.#notice = null;
    this.#status = "running";
    const chunks = Math.ceil(this.#queue.length / this.#options.chunkSize);
    const workers = Math.min(this.#options.concurrency - this.#active, chunks);
    for (let i = 0; i < workers; i++) void this.#worker();
    this.#emit();
    if (this.#active === 0) this.#settle();
  }

  async #worker(): Promise<void> {
    this.#active++;
    try {
      while (this.#status === "running") {
        const chunk = this.#take();
        if (chunk.length === 0) break;
        await this.#runChunk(chunk);
      }
    } finally {
      this.#active--;
      if (this.#active === 0) this.#settle();
    }
  }

  #take(): RowState[] {
    const chunk: RowState[] = [];
    while (chunk.length < this.#options.chunkSize && this.#queue.length > 0) {
      const state = this.#rows.get(this.#queue.shift()!);
      if (state?.state !== "pending") continue;
      state.state = "running";
      chunk.push(state);
    }
    return chunk;
  }

  #putBack(chunk: RowState[]): void {
    for (const state of chunk) state.state = "pending";
    this.#queue.unshift(...chunk.map((state) => state.row.row));
  }

  async #runChunk(chunk: RowState[]): Promise<void> {
    const signal = this.#controller.signal;
    let results: BatchItemResult[];
    try {
      results = await this.#options.send(
        chunk.map((state) => state.row),
        signal,
      );
    } catch (error) {
      if (signal.aborted || isAbort(error)) {
        this.#putBack(chunk);
      } else if (error instanceof ApiClientError && PAUSING_CODES.has(error.code)) {
        this.#putBack(chunk);
        this.#pauseFor(error);
      } else {
        await this.#record(chunk.map((state) => [state, null, describeError(error)]));
      }
      this.#emit();
      return;
    }
    const byId = new Map(results.map((result) => [result.id, result]));
    await this.#record(
      chunk.map((state) => {
        const result = byId.get(String(state.row.row));
        if (!result) return [state, null, "The backend sent no answer for this row"];
        return result.ok ? [state, result.text.trim(), null] : [state, null, result.error.message];
      }),
    );
  }

  /** Writes a chunk's answers and failure marks, then records each row's state. */
  async #record(outcomes: [RowState, string | null, string | null][]): Promise<void> {
    const cells = outcomes.map(([state, text, message]) => ({
      row: state.row.row,
      value: text ?? `${FAILED_MARKER}${message}`,
    }));
    let writeError: string | null = null;
    try {
      await this.#options.write(cells);
    } catch (error) {
      writeError = `Could not write to the sheet: ${describeError(error)}`;
    }
    for (const [state, text, message] of outcomes) {
      if (writeError || text === null) {
        state.state = "failed";
        state.message = writeError ?? message ?? "Failed";
      } else {
        state.state = "done";
      }
    }
    this.#emit();
  }

  #pauseFor(error: ApiClientError): void {
    if (this.#status !== "running") return;
    this.#status = "pausing";
    this.#notice = describeError(error);
    const wait = error.code === "rate_limited" ? (error.retryAfterSeconds ?? 60) : null;
    if (wait !== null && wait <= this.#options.maxAutoResumeSeconds) {
      const { timer } = this.#options;
      this.#resumeAt = timer.now() + wait * 1000;
      this.#cancelResume = timer.after(wait * 1000, () => {
        this.#resumeAt = null;
        if (this.#status === "paused" || this.#status === "pausing") this.#run();
      });
    }
  }

  #settle(): void {
    if (this.#status === "pausing") this.#status = "paused";
    else if (this.#status === "cancelling") this.#status = "cancelled";
    else if (this.#status === "running") {
      const pending = [...this.#rows.values()].some((state) => state.state === "pending");
      this.#status = pending ? "paused" : "done";
    }
    this.#emit();
  }

  #clearTimer(): void {
    this.#cancelResume?.();
    this.#cancelResume = undefined;
    this.#resumeAt = null;
  }

  #emit(): void {
    this.#options.onChange(this.snapshot());
  }
}
