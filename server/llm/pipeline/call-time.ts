import { LlmError } from "../errors.ts";

/**
 * How the time limits of a request nest, so that a model that does not answer in time ends the
 * request as 504 `upstream_timeout`, with a ledger row that says so, before the request's own
 * limit can answer 503 (docs/operations.md, "Timeouts"):
 *
 * 1. A request has REQUEST_TIMEOUT_MS from its arrival: its deadline.
 * 2. Its model calls (every attempt, the waits between them, fallbacks, a stream to its end) must
 *    be over {@link answerMarginMs} before that deadline, which leaves the time to record the
 *    call and answer.
 * 3. Each attempt has at most LLM_TIMEOUT_MS of that time, and a stream at most LLM_TIMEOUT_MS
 *    between two events: an attempt's timeout is min(LLM_TIMEOUT_MS, the time left).
 * 4. A retry or a fallback starts only if, after its wait, {@link shortestAttemptMs} is left.
 */

/** The time kept back from a request's model calls to record the call and answer. */
export function answerMarginMs(requestTimeoutMs: number): number {
  return Math.min(1_000, Math.ceil(requestTimeoutMs / 10));
}

/** The least time worth starting another attempt with. */
export function shortestAttemptMs(llmTimeoutMs: number): number {
  return Math.min(1_000, llmTimeoutMs);
}

/** The time a request's model calls have. */
export interface CallTime {
  /** Fires when the caller goes away, or with `upstream_timeout` once the time is up. */
  readonly signal: AbortSignal;
  /** When the time is up, on the `performance.now()` clock. */
  readonly deadline: number;
}

/** A call's time while it runs: `stop` it once the calls are over. */
export type RunningCallTime = CallTime & { stop(): void };

/**
 * Starts the clock of a request's model calls. Its signal, timer and the signal joining the
 * caller's are made when first asked for: a cache hit, which calls no model, never asks, and
 * saves them (an `AbortSignal.any` and a timer were about a tenth of a hit's CPU time). Once
 * stopped, the time can no longer run out, so a signal asked for then is the caller's alone.
 */
export function startCallTime(caller: AbortSignal, deadline: number): RunningCallTime {
  let signal: AbortSignal | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    get signal() {
      if (signal) return signal;
      if (stopped) return (signal = caller);
      const timeUp = new AbortController();
      timer = setTimeout(
        () =>
          timeUp.abort(
            new LlmError(
              "upstream_timeout",
              "The model did not answer in the time the request has",
            ),
          ),
        Math.max(0, deadline - performance.now()),
      );
      return (signal = AbortSignal.any([caller, timeUp.signal]));
    },
    deadline,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Whether an attempt started after `delayMs` would still have `shortestMs` before the deadline. */
export function leavesTime(time: CallTime, delayMs: number, shortestMs: number): boolean {
  return time.deadline - performance.now() - delayMs >= shortestMs;
}

/**
 * Until when a call may wait in a queue (for its token's turn, or a provider's slot): at most
 * `queueWaitMs` (QUEUE_TIMEOUT_MS) from now, and never so long that less than `shortestMs` would
 * be left for the call itself. A call that waits that long fails as `queue_timeout`, before the
 * call's time can end it as `upstream_timeout` for a model that was never asked.
 */
export function queueDeadline(time: CallTime, queueWaitMs: number, shortestMs: number): number {
  return Math.min(performance.now() + queueWaitMs, time.deadline - shortestMs);
}
