import { systemSleep, type Sleep } from "../../clock.ts";
import { leavesTime, type CallTime } from "./call-time.ts";
import { ProviderError } from "../provider.ts";

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for; the caller gets rate_limited instead. */
  maxRetryAfterMs: number;
  /** A retry or a fallback starts only if this much of the call's time is left after its wait. */
  shortestAttemptMs: number;
  /** How the wait between attempts passes: real time unless a test passes its own. */
  sleep?: Sleep;
}

/**
 * Runs `attempt`, retrying on 429, 5xx, timeouts and connection errors with exponential
 * backoff and full jitter, waiting at least what a Retry-After asked for, and at once when another
 * of the provider's keys can take the call, while the call's time leaves room for another attempt. Other errors, aborts, and the time running out go straight to
 * the caller.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  time: CallTime,
  onRetry: (error: ProviderError, delayMs: number) => void = () => {},
): Promise<T> {
  const { signal } = time;
  for (let attemptNumber = 0; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || signal.aborted) throw error;
      if (attemptNumber >= policy.maxRetries) throw error;
      // Another key is ready: nothing to wait for, the failure was the key's.
      const backoff = error.anotherKey
        ? 0
        : Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attemptNumber);
      const asked = error.retryAfterMs ?? 0;
      if (asked > policy.maxRetryAfterMs) throw error;
      const delayMs = Math.max(backoff, asked);
      if (!leavesTime(time, delayMs, policy.shortestAttemptMs)) throw error;
      onRetry(error, delayMs);
      await (policy.sleep ?? systemSleep)(delayMs, signal);
    }
  }
}
