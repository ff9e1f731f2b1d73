import type { Logger } from "../../logger.ts";
import { LlmError } from "../errors.ts";
import { FairSlots, type Release, type SlotsSnapshot } from "./fair-slots.ts";

/** What a caller told to come back after a queue wait is told: by then slots have turned over. */
export const QUEUE_RETRY_AFTER_MS = 5_000;

/**
 * One provider's slots (PROVIDER_CONCURRENCY calls at once, or the provider's own cap), shared
 * fairly among tokens (fair-slots.ts), with the queue's life in the log: a line when calls begin
 * to queue, one when the queue has drained (how many waited, the longest wait), and a warning
 * for each call that waited too long.
 */
export class ProviderSlots {
  readonly #provider: string;
  readonly #logger: Logger;
  readonly #capacity: number;
  readonly #slots: FairSlots;
  /** Since the queue began: the calls that waited and the longest wait. */
  #episode = { queued: 0, longestMs: 0, deepest: 0 };

  constructor(provider: string, capacity: number, logger: Logger) {
    this.#provider = provider;
    this.#logger = logger;
    this.#capacity = capacity;
    this.#slots = new FairSlots(capacity);
  }

  /** A slot for a call of `tokenId`; fails as `queue_timeout` once `deadline` passes. */
  async acquire(tokenId: string, signal: AbortSignal, deadline: number): Promise<Release> {
    const queued = this.#slots.available === 0;
    if (queued) this.#queueing(tokenId);
    const started = performance.now();
    const release = await this.#slots.acquire(tokenId, signal, {
      deadline,
      expired: (waitedMs) => this.#expired(tokenId, waitedMs),
    });
    if (queued) this.#served(performance.now() - started);
    return release;
  }

  snapshot(): SlotsSnapshot {
    return this.#slots.snapshot();
  }

  #queueing(tokenId: string): void {
    const capacity = this.#capacity;
    if (this.#slots.waiting === 0) {
      this.#episode = { queued: 0, longestMs: 0, deepest: 0 };
      this.#logger.info(
        { provider: this.#provider, capacity },
        "provider slots all taken: calls queue",
      );
    }
    this.#episode.deepest = Math.max(this.#episode.deepest, this.#slots.waiting + 1);
    this.#logger.debug({ provider: this.#provider, tokenId }, "call queued for a provider slot");
  }

  #served(waitedMs: number): void {
    this.#episode.queued++;
    this.#episode.longestMs = Math.max(this.#episode.longestMs, waitedMs);
    if (this.#slots.waiting > 0) return;
    const { queued, longestMs, deepest } = this.#episode;
    this.#logger.info(
      { provider: this.#provider, queued, deepest, longestWaitMs: Math.round(longestMs) },
      "provider queue drained",
    );
  }

  #expired(tokenId: string, waitedMs: number): LlmError {
    const capacity = this.#capacity;
    const waiting = this.#slots.waiting;
    this.#logger.warn(
      { provider: this.#provider, tokenId, waitedMs: Math.round(waitedMs), capacity, waiting },
      "call waited too long for a provider slot",
    );
    return new LlmError(
      "queue_timeout",
      `${this.#provider} is busy: the call waited ${seconds(waitedMs)} for one of the ${capacity} calls this server sends it at once; try again shortly`,
      { retryAfterMs: QUEUE_RETRY_AFTER_MS },
    );
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
