import { describe, expect, it } from "vitest";
import { TestSleep } from "../../test/test-sleep.ts";
import { ProviderError } from "../provider.ts";
import { withRetries, type RetryPolicy } from "./retry.ts";

const policy: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30_000,
  shortestAttemptMs: 1000,
};

/** A minute to go, and a signal of its own. */
function callTime(controller = new AbortController()) {
  return { signal: controller.signal, deadline: performance.now() + 60_000 };
}

const busy = (retryAfterMs?: number) =>
  new ProviderError("rate_limited", "openai", "slow down", { status: 429, retryAfterMs });

/** An attempt that fails with each of `failures` in turn, then answers "ok". */
function failingWith(...failures: Error[]) {
  const attempts: number[] = [];
  const attempt = async (attemptNumber: number) => {
    attempts.push(attemptNumber);
    const failure = failures[attemptNumber];
    if (failure) throw failure;
    return "ok";
  };
  return { attempt, attempts };
}

describe("withRetries", () => {
  it("waits at least what a Retry-After asks for before the next attempt", async () => {
    const sleep = new TestSleep();
    const { attempt, attempts } = failingWith(busy(1500));
    const retries: number[] = [];
    await expect(
      withRetries(attempt, { ...policy, sleep: sleep.sleep }, callTime(), (_error, delayMs) =>
        retries.push(delayMs),
      ),
    ).resolves.toBe("ok");
    expect(attempts).toEqual([0, 1]);
    expect(sleep.asked).toEqual([1500]);
    expect(retries).toEqual([1500]);
  });

  it("retries a refusal at once when another key can take the call, within maxRetries", async () => {
    const sleep = new TestSleep();
    const refused = new ProviderError("rejected", "openai", "Incorrect API key", {
      status: 401,
      anotherKey: true,
    });
    const { attempt, attempts } = failingWith(refused);
    await expect(withRetries(attempt, { ...policy, sleep: sleep.sleep }, callTime())).resolves.toBe(
      "ok",
    );
    expect(attempts).toEqual([0, 1]);
    expect(sleep.asked).toEqual([0]);
    const once = failingWith(refused);
    await expect(withRetries(once.attempt, { ...policy, maxRetries: 0 }, callTime())).rejects.toBe(
      refused,
    );
  });

  it("backs off with jitter under a doubling bound, and gives up after maxRetries", async () => {
    const sleep = new TestSleep();
    const down = () => new ProviderError("server", "openai", "down", { status: 503 });
    const { attempt, attempts } = failingWith(down(), down(), down(), down());
    await expect(
      withRetries(attempt, { ...policy, sleep: sleep.sleep }, callTime()),
    ).rejects.toThrow("down");
    expect(attempts).toEqual([0, 1, 2, 3]);
    expect(sleep.asked).toHaveLength(3);
    sleep.asked.forEach((ms, retry) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(250 * 2 ** retry);
    });
  });

  it("does not wait for a Retry-After longer than maxRetryAfterMs, nor past the deadline", async () => {
    const sleep = new TestSleep();
    const tooLong = failingWith(busy(60_000));
    await expect(
      withRetries(tooLong.attempt, { ...policy, sleep: sleep.sleep }, callTime()),
    ).rejects.toThrow("slow down");
    const late = failingWith(busy(59_500));
    await expect(
      withRetries(
        late.attempt,
        { ...policy, maxRetryAfterMs: 120_000, sleep: sleep.sleep },
        callTime(),
      ),
    ).rejects.toThrow("slow down");
    expect(sleep.asked).toEqual([]);
    expect([tooLong.attempts, late.attempts]).toEqual([[0], [0]]);
  });

  it("stops, without another attempt, when the caller goes away during the real wait", async () => {
    const controller = new AbortController();
    const reason = new Error("client went away");
    const { attempt, attempts } = failingWith(busy(20_000));
    const outcome = withRetries(attempt, policy, callTime(controller), () =>
      controller.abort(reason),
    );
    await expect(outcome).rejects.toMatchObject({ name: "AbortError", cause: reason });
    expect(attempts).toEqual([0]);
  });
});
