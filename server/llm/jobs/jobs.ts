import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.ts";
import type { Limits } from "../../config.ts";
import { ApiError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { BatchItemResult } from "../request/completion-request.ts";
import type { JobView } from "./schemas.ts";

type JobStatus = JobView["status"];

/**
 * A batch computed apart from the requests that follow it: its results as they come, each
 * request reading from where it left off. Its items' calls are not tied to any request, so a
 * client that goes away leaves them running; `cancel` keeps the items not yet started from
 * starting.
 */
export class Job {
  readonly id = `job_${randomUUID()}`;
  readonly tokenId: string;
  readonly total: number;
  /** What the job was asked, to tell a resubmission from another body under the same key. */
  readonly fingerprint: string;
  readonly createdAt: Date;
  /** Results in the order they came. */
  readonly results: BatchItemResult[] = [];
  status: JobStatus = "running";
  expiresAt: Date | null = null;
  /** What its results weigh, as JSON (the bound of every job's results on an instance). */
  bytes = 0;
  readonly #byIndex: BatchItemResult[];
  readonly #stop = new AbortController();
  readonly #listeners = new Set<() => void>();
  readonly #ended: Promise<void>;
  #end = () => {};

  constructor(tokenId: string, total: number, fingerprint: string, createdAt: Date) {
    this.tokenId = tokenId;
    this.total = total;
    this.fingerprint = fingerprint;
    this.createdAt = createdAt;
    this.#byIndex = new Array<BatchItemResult>(total);
    this.#ended = new Promise((resolve) => (this.#end = resolve));
  }

  /** Aborted by `cancel`: items not started by then fail `cancelled`. */
  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Resolves once every item has its result. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  add(index: number, result: BatchItemResult): void {
    this.results.push(result);
    this.#byIndex[index] = result;
    this.bytes += Buffer.byteLength(JSON.stringify(result));
    this.#changed();
  }

  /** The results in the items' order, once the job has ended. */
  resultsInOrder(): BatchItemResult[] {
    return [...this.#byIndex];
  }

  end(expiresAt: Date): void {
    this.status = this.#stop.signal.aborted ? "cancelled" : "done";
    this.expiresAt = expiresAt;
    this.#end();
    this.#changed();
  }

  cancel(): void {
    this.#stop.abort();
  }

  /** Calls `listener` after each change (a result, the end); returns the way to stop. */
  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The job as the API shows it, with its results from the `after`-th on. */
  view(after = 0): JobView {
    return { ...this.summary(), results: this.results.slice(after) };
  }

  summary(): Omit<JobView, "results"> {
    return {
      id: this.id,
      status: this.status,
      total: this.total,
      completed: this.results.length,
      createdAt: this.createdAt.toISOString(),
      expiresAt: this.expiresAt?.toISOString() ?? null,
    };
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export interface NewJob {
  tokenId: string;
  total: number;
  fingerprint: string;
  /** The caller's Idempotency-Key: the same key (for the same token) finds the same job. */
  idempotencyKey: string | undefined;
}

/**
 * This instance's jobs, each owned by the token that made it, bounded (config.limits): jobs per
 * token, how long a finished one is kept, and the bytes of results all of them hold. A finished
 * job gives way, oldest first, to a new one that would pass a bound; running jobs never do, so a
 * new job is refused while they fill the bound. Answers outlive their job in the response cache.
 */
export class Jobs {
  readonly #jobs = new Map<string, Job>();
  readonly #byKey = new Map<string, Job>();
  readonly #keyOf = new Map<Job, string>();
  readonly #limits: Pick<Limits, "jobsPerToken" | "jobRetentionMs" | "jobBytes">;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(deps: {
    limits: Pick<Limits, "jobsPerToken" | "jobRetentionMs" | "jobBytes">;
    clock: Clock;
    logger: Logger;
  }) {
    this.#limits = deps.limits;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  /**
   * The token's job under the same Idempotency-Key (`joined`), or a new job that `start` runs to
   * its end. A key used for another body is a conflict.
   */
  submit(request: NewJob, start: (job: Job) => Promise<void>): { job: Job; joined: boolean } {
    const scopedKey =
      request.idempotencyKey === undefined
        ? undefined
        : `${request.tokenId}\n${request.idempotencyKey}`;
    const known = scopedKey === undefined ? undefined : this.#byKey.get(scopedKey);
    if (known) {
      if (known.fingerprint !== request.fingerprint)
        throw new ApiError(
          "conflict",
          "This Idempotency-Key was used for a different request body; use a new key",
        );
      return { job: known, joined: true };
    }
    this.#makeRoom(request.tokenId);
    const job = new Job(request.tokenId, request.total, request.fingerprint, this.#clock.now());
    this.#jobs.set(job.id, job);
    if (scopedKey !== undefined) {
      this.#byKey.set(scopedKey, job);
      this.#keyOf.set(job, scopedKey);
    }
    void start(job)
      .catch((error: unknown) => this.#logger.error({ err: error, job: job.id }, "job failed"))
      .finally(() => {
        const retention = this.#limits.jobRetentionMs;
        job.end(new Date(this.#clock.now().getTime() + retention));
        setTimeout(() => this.#drop(job), retention).unref();
      });
    return { job, joined: false };
  }

  /** The token's job by its id; another token's is as good as missing. */
  get(tokenId: string, id: string): Job | undefined {
    const job = this.#jobs.get(id);
    return job?.tokenId === tokenId ? job : undefined;
  }

  /** Jobs held on this instance, and the bytes of their results. */
  get size(): { jobs: number; bytes: number } {
    let bytes = 0;
    for (const job of this.#jobs.values()) bytes += job.bytes;
    return { jobs: this.#jobs.size, bytes };
  }

  /** Drops finished jobs, oldest first, until a new job of the token's fits every bound. */
  #makeRoom(tokenId: string): void {
    const finished = [...this.#jobs.values()].filter((job) => job.status !== "running");
    const owned = [...this.#jobs.values()].filter((job) => job.tokenId === tokenId);
    for (const job of finished) {
      if (owned.length < this.#limits.jobsPerToken) break;
      if (job.tokenId !== tokenId) continue;
      this.#drop(job);
      owned.splice(owned.indexOf(job), 1);
    }
    if (owned.length >= this.#limits.jobsPerToken)
      throw new ApiError(
        "rate_limited",
        `This token has ${owned.length} jobs running, the most it may; wait for one to finish`,
        { headers: { "retry-after": "10" } },
      );
    for (const job of finished) {
      if (this.size.bytes < this.#limits.jobBytes) break;
      if (this.#jobs.has(job.id)) this.#drop(job);
    }
    if (this.size.bytes >= this.#limits.jobBytes)
      throw new ApiError(
        "unavailable",
        "The server holds as many job results as it may; try again shortly",
        { headers: { "retry-after": "10" } },
      );
  }

  #drop(job: Job): void {
    this.#jobs.delete(job.id);
    const key = this.#keyOf.get(job);
    if (key !== undefined && this.#byKey.get(key) === job) this.#byKey.delete(key);
    this.#keyOf.delete(job);
  }
}
