import type { Redis } from "ioredis";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window frees up again. */
  resetMs: number;
}

/** Requests per minute per token, and failed sign-ins per minute per client address. */
export interface RateLimits {
  consumeRequest(tokenId: string, requestsPerMinute: number): Promise<LimitDecision>;
  /**
   * Counts a failed sign-in from the address. Answers 0 while the address is within its limit of
   * failures, else the milliseconds until it may try again.
   */
  recordAuthFailure(address: string): Promise<number>;
}

const WINDOW_SECONDS = 60;

/**
 * Counters live in memory, or in Redis when a client is given, so several instances share
 * one limit. With Redis unreachable, each instance falls back to its own memory counters
 * instead of failing requests.
 */
export function createRateLimits(options: {
  authFailuresPerMinute: number;
  redis?: Redis | undefined;
  keyPrefix?: string;
}): RateLimits {
  const prefix = options.keyPrefix ?? "officellm:rl";
  const build = (name: string, points: number): RateLimiterAbstract => {
    const settings = { keyPrefix: `${prefix}:${name}`, points, duration: WINDOW_SECONDS };
    if (!options.redis) return new RateLimiterMemory(settings);
    return new RateLimiterRedis({
      ...settings,
      storeClient: options.redis,
      insuranceLimiter: new RateLimiterMemory(settings),
    });
  };

  // Tokens may carry their own requests-per-minute, so there is one limiter per distinct rate.
  const requestLimiters = new Map<number, RateLimiterAbstract>();
  const requestLimiter = (rpm: number) => {
    let limiter = requestLimiters.get(rpm);
    if (!limiter) {
      limiter = build(`rpm${rpm}`, rpm);
      requestLimiters.set(rpm, limiter);
    }
    return limiter;
  };
  const authFailures = build("authfail", options.authFailuresPerMinute);

  return {
    async consumeRequest(tokenId, rpm) {
      try {
        const res = await requestLimiter(rpm).consume(tokenId, 1);
        return {
          allowed: true,
          limit: rpm,
          remaining: res.remainingPoints,
          resetMs: res.msBeforeNext,
        };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { allowed: false, limit: rpm, remaining: 0, resetMs: rejection.msBeforeNext };
      }
    },
    async recordAuthFailure(address) {
      try {
        await authFailures.consume(address, 1);
        return 0;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return Math.max(rejection.msBeforeNext, 1);
      }
    },
  };
}
