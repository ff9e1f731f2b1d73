import { meSchema } from "../account/schemas.ts";
import type { Clock } from "../clock.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { Store } from "../store/store.ts";
import { nanoUsdToUsd, usdToNanoUsd } from "../util/money.ts";
import { startOfMonthUtc } from "../util/month.ts";

export function meRoutes(deps: { store: Store; clock: Clock; defaultRpm: number }): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/me",
      access: "token",
      tag: "Account",
      summary: "The calling token: name, scopes, limits and this month's spend",
      response: meSchema,
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
