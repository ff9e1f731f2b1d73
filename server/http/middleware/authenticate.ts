import type { Request } from "express";
import type { Scope } from "../../auth/scopes.ts";
import type { AuthFailure, Caller, TokenService } from "../../auth/token-service.ts";
import { ApiError } from "../../errors.ts";
import type { RateLimits } from "../../limits/rate-limits.ts";
import type { Metrics } from "../../metrics/metrics.ts";

const failureMessages: Record<AuthFailure | "missing", string> = {
  missing: "Send your OfficeLLM token as 'Authorization: Bearer ollm_…'",
  malformed: "The bearer token is not an OfficeLLM token",
  unknown: "The token is not valid",
  expired: "The token has expired",
  revoked: "The token has been revoked",
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Requires a valid bearer token (holding `scope`, when given). Failed attempts count against the
 * client's address, and past the limit a failure is answered 429 instead of 401. Only failures
 * are throttled: a valid token always gets in, so one misconfigured script cannot lock out a
 * whole office behind the same address.
 */
export function authenticator(tokens: TokenService, limits: RateLimits, metrics: Metrics) {
  return async (req: Request, scope: Scope | undefined): Promise<Caller> => {
    const match = BEARER.exec(req.headers.authorization ?? "");
    const result = match
      ? await tokens.authenticate(match[1]!)
      : ({ ok: false, reason: "missing" } as const);
    if (!result.ok) {
      const blockedMs = await limits.recordAuthFailure(req.ip ?? "unknown");
      if (blockedMs > 0) {
        metrics.refused("auth_failures");
        const seconds = Math.ceil(blockedMs / 1000);
        throw new ApiError("rate_limited", `Too many failed sign-ins; try again in ${seconds} s`, {
          headers: { "retry-after": String(seconds) },
        });
      }
      throw new ApiError("unauthorized", failureMessages[result.reason], {
        headers: { "www-authenticate": 'Bearer realm="officellm"' },
      });
    }
    if (scope && !result.caller.scopes.includes(scope)) {
      throw new ApiError("forbidden", `This token lacks the '${scope}' scope`);
    }
    return result.caller;
  };
}
