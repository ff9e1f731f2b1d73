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
/** The highest requests-per-minute a token may be given. */
export const MAX_REQUESTS_PER_MINUTE = 1_000_000;

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

  // One counter per token whatever its rate: a token's rpm can change (PATCH /admin/tokens/:id)
  // and apply to the requests already counted in the window, on every instance at once. The
  // limiter's own ceiling is only a bound; the token's rpm decides.
  const requests = build("requests", MAX_REQUESTS_PER_MINUTE);
  const authFailures = build("authfail", options.authFailuresPerMinute);

  return {
    async consumeRequest(tokenId, rpm) {
      const res = await requests.consume(tokenId, 1).catch((rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) return rejection;
        throw rejection;
      });
      const allowed = res.consumedPoints <= rpm;
      return {
        allowed,
        limit: rpm,
        remaining: Math.max(rpm - res.consumedPoints, 0),
        resetMs: res.msBeforeNext,
      };
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
