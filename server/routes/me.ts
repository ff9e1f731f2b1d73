import { z } from "zod";
import { scopeSchema } from "../auth/scopes.ts";
import type { Clock } from "../clock.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { Store } from "../store/store.ts";
import { nanoUsdToUsd, usdToNanoUsd } from "../util/money.ts";
import { startOfMonthUtc } from "../util/month.ts";

export const meResponse = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  expiresAt: z.string().nullable(),
  limits: z.object({
    requestsPerMinute: z.number().int(),
    monthlyBudgetUsd: z.number().nullable(),
  }),
  spend: z.object({ month: z.string(), costUsd: z.number(), remainingUsd: z.number().nullable() }),
});

export function meRoutes(deps: { store: Store; clock: Clock; defaultRpm: number }): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/me",
      access: "token",
      tag: "Account",
      summary: "The calling token: name, scopes, limits and this month's spend",
      response: meResponse,
      handle: async ({ caller }) => {
        const monthStart = startOfMonthUtc(deps.clock.now());
        const spent = await deps.store.usage.spendSince(caller.tokenId, monthStart.toISOString());
        return {
          id: caller.tokenId,
          name: caller.name,
          scopes: caller.scopes,
          expiresAt: caller.expiresAt,
          limits: {
            requestsPerMinute: caller.rpm ?? deps.defaultRpm,
            monthlyBudgetUsd: caller.budgetUsd,
          },
          spend: {
            month: monthStart.toISOString().slice(0, 7),
            costUsd: nanoUsdToUsd(spent),
            remainingUsd:
              caller.budgetUsd === null
                ? null
                : nanoUsdToUsd(Math.max(usdToNanoUsd(caller.budgetUsd) - spent, 0)),
          },
        };
      },
    }),
  ];
}
