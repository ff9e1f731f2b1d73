import type { Logger } from "../../logger.ts";
import { LlmError } from "../errors.ts";
import { FairSlots, type Release, type SlotsSnapshot } from "./fair-slots.ts";

/**
 * The share of a provider's slots that no one token may take: they are kept for the other tokens'
 * next calls, which so get a slot at once instead of waiting for one of a large batch's to free
 * (up to a whole model answer). A hundredth: 50 of the default 5,000; none of a local server's 16.
 */
export const KEPT_FOR_OTHERS = 0.01;

/** What a caller told to come back after a queue wait is told: by then slots have turned over. */
export const QUEUE_RETRY_AFTER_MS = 5_000;

/** How often a provider's queue, while calls wait in it, is summed up in the log. */
const REPORT_EVERY_MS = 10_000;

/** What happened in a provider's queue since its last report. */
interface QueueReport {
  /** Calls that had to wait, the most waiting at once, the longest wait that ended. */
  queued: number;
  deepest: number;
  longestWaitMs: number;
  /** Calls that waited their longest and were refused (`queue_timeout`). */
  timedOut: number;
}

const emptyReport = (): QueueReport => ({ queued: 0, deepest: 0, longestWaitMs: 0, timedOut: 0 });

/**
 * One provider's slots (PROVIDER_CONCURRENCY calls at once, or the provider's own cap), shared
 * fairly among tokens (fair-slots.ts), a hundredth of them out of any one token's reach
 * (`KEPT_FOR_OTHERS`), with its queue in the log: a line when calls begin to
 * queue, then every 10 seconds while they do one that sums the queue up (calls that waited, the
 * deepest queue, the longest wait, the calls refused), and a last one once it has drained. So a
 * saturated provider costs the log a line per 10 seconds, not one per call (those are at debug).
 */
export class ProviderSlots {
  readonly #provider: string;
  readonly #capacity: number;
  readonly #logger: Logger;
  readonly #slots: FairSlots;
  #report = emptyReport();
  #reporting: NodeJS.Timeout | undefined;

  constructor(provider: string, capacity: number, logger: Logger) {
    this.#provider = provider;
    this.#capacity = capacity;
    this.#logger = logger;
    this.#slots = new FairSlots(capacity, capacity - Math.floor(capacity * KEPT_FOR_OTHERS));
  }

  /** A slot for a call of `tokenId`; fails as `queue_timeout` once `deadline` passes. */
  async acquire(tokenId: string, signal: AbortSignal, deadline: number): Promise<Release> {
    const queued = !this.#slots.hasRoomFor(tokenId);
    if (queued) this.#queueing(tokenId);
    const started = performance.now();
    const release = await this.#slots.acquire(tokenId, signal, {
      deadline,
      expired: (waitedMs) => this.#expired(tokenId, waitedMs),
    });
    if (queued) {
      const waitedMs = performance.now() - started;
      this.#report.longestWaitMs = Math.max(this.#report.longestWaitMs, waitedMs);
    }
    return release;
  }

  snapshot(): SlotsSnapshot {
    return this.#slots.snapshot();
  }

  #queueing(tokenId: string): void {
    const report = this.#report;
    report.queued++;
    report.deepest = Math.max(report.deepest, this.#slots.waiting + 1);
    this.#logger.debug({ provider: this.#provider, tokenId }, "call queued for a provider slot");
    if (this.#reporting) return;
    const free = this.#slots.available;
    this.#logger.info(
      { provider: this.#provider, capacity: this.#capacity, free },
      free === 0
        ? "provider slots all taken: calls queue"
        : "a token holds all the provider slots it may: its calls queue",
    );
    this.#reporting = setInterval(() => this.#sumUp(), REPORT_EVERY_MS).unref();
  }

  /** Logs the queue since the last report; once nothing has waited since, its last line. */
  #sumUp(): void {
    const report = this.#report;
    const waiting = this.#slots.waiting;
    const idle = report.queued === 0 && waiting === 0;
    this.#logger.info(
      {
        provider: this.#provider,
        capacity: this.#capacity,
        ...report,
        longestWaitMs: Math.round(report.longestWaitMs),
        waiting,
      },
      idle ? "provider queue drained" : "provider queue",
    );
    this.#report = emptyReport();
    if (!idle) return;
    clearInterval(this.#reporting);
    this.#reporting = undefined;
  }

  #expired(tokenId: string, waitedMs: number): LlmError {
    this.#report.timedOut++;
    this.#logger.debug(
      { provider: this.#provider, tokenId, waitedMs: Math.round(waitedMs) },
      "call waited too long for a provider slot",
    );
    return new LlmError(
      "queue_timeout",
      `${this.#provider} is busy: the call waited ${seconds(waitedMs)} for one of the ${this.#capacity} calls this server sends it at once; try again shortly`,
      { retryAfterMs: QUEUE_RETRY_AFTER_MS },
    );
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
