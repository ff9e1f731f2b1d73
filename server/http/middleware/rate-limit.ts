import type { Response } from "express";
import type { Caller } from "../../auth/token-service.ts";
import { ApiError } from "../../errors.ts";
import type { RateLimits } from "../../limits/rate-limits.ts";
import type { Metrics } from "../../metrics/metrics.ts";

/**
 * Per-token requests per minute (the token's own `rpm`, else the default), announced in the
 * IETF RateLimit headers; the request past the limit gets 429 with `Retry-After`.
 */
export function tokenRateLimit(limits: RateLimits, defaultRpm: number, metrics: Metrics) {
  return async (caller: Caller, res: Response): Promise<void> => {
    const rpm = caller.rpm ?? defaultRpm;
    const decision = await limits.consumeRequest(caller.tokenId, rpm);
    const resetSeconds = Math.ceil(decision.resetMs / 1000);
    res.setHeader("ratelimit-policy", `${rpm};w=60`);
    res.setHeader("ratelimit-limit", String(decision.limit));
    res.setHeader("ratelimit-remaining", String(decision.remaining));
    res.setHeader("ratelimit-reset", String(resetSeconds));
    if (!decision.allowed) {
      metrics.refused("rate_limit");
      throw new ApiError(
        "rate_limited",
        `Rate limit of ${rpm} requests per minute reached; retry in ${resetSeconds} s`,
        {
          headers: { "retry-after": String(Math.max(resetSeconds, 1)) },
        },
      );
    }
  };
}
