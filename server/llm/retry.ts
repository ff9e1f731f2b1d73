import { setTimeout as sleep } from "node:timers/promises";
import { ProviderError } from "./provider.ts";

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for; the caller gets rate_limited instead. */
  maxRetryAfterMs: number;
}

/**
 * Runs `attempt`, retrying on 429, 5xx, timeouts and connection errors with exponential
 * backoff and full jitter, waiting at least what a Retry-After asked for. Other errors, and
 * aborts, go straight to the caller.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (error: ProviderError, delayMs: number) => void = () => {},
): Promise<T> {
  for (let attemptNumber = 0; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || signal.aborted) throw error;
      if (attemptNumber >= policy.maxRetries) throw error;
      const backoff =
        Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attemptNumber);
      const asked = error.retryAfterMs ?? 0;
      if (asked > policy.maxRetryAfterMs) throw error;
      const delayMs = Math.max(backoff, asked);
      onRetry(error, delayMs);
      await sleep(delayMs, undefined, { signal });
    }
  }
}
