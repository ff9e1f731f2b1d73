import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { UsageRange, UsageSums } from "../store/usage-repository.ts";
import type { Store } from "../store/store.ts";
import {
  adminUsageRangeSchema,
  adminUsageReportSchema,
  usageRangeSchema,
  usageReportSchema,
} from "../usage/schemas.ts";
import { nanoUsdToUsd } from "../util/money.ts";

const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();

/** The range asked for, with defaults from the clock; from after to is a 400. */
function dayRange(
  query: { from?: string | undefined; to?: string | undefined },
  clock: Clock,
): { from: string; to: string; since: string; until: string } {
  const to = query.to ?? clock.now().toISOString().slice(0, 10);
  const from = query.from ?? `${to.slice(0, 8)}01`;
  if (from > to) {
    throw new ApiError("invalid_request", `query.from: ${from} is after to (${to})`, {
      details: [{ path: "query.from", message: `is after to (${to})` }],
    });
  }
  return { from, to, since: `${from}T00:00:00.000Z`, until: nextDay(to) };
}

/** Sums as a response gives them: the cost, summed in nano-dollars, in USD. */
function inUsd<T extends UsageSums>({ costNanoUsd, ...rest }: T) {
  return { ...rest, costUsd: nanoUsdToUsd(costNanoUsd) };
}

async function report(store: Store, range: UsageRange) {
  const [totals, byDay, byModel] = await Promise.all([
    store.usage.totals(range),
    store.usage.byDay(range),
    store.usage.byModel(range),
  ]);
  return { totals: inUsd(totals), byDay: byDay.map(inUsd), byModel: byModel.map(inUsd) };
}

const rangeDescription =
  "From the ledger, one row per model call (cached and failed ones included). Days are UTC " +
  "days, both ends included; by default from the 1st of this month to today.";

/** Usage and cost from the ledger: the caller's own, and everyone's for operators. */
export function usageRoutes(deps: { store: Store; clock: Clock }): Route[] {
  const { store, clock } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/usage",
      access: "llm",
      tag: "Usage",
      summary: "The caller's calls, tokens and cost, by day and by model",
      description: rangeDescription,
      query: usageRangeSchema,
      response: usageReportSchema,
      handle: async ({ query, caller }) => {
        const { from, to, since, until } = dayRange(query, clock);
        return { from, to, ...(await report(store, { since, until, tokenId: caller.tokenId })) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/usage",
      access: "admin",
      tag: "Admin",
      summary: "Everyone's calls, tokens and cost, by token, day and model",
      description: rangeDescription,
      query: adminUsageRangeSchema,
      response: adminUsageReportSchema,
      handle: async ({ query }) => {
        const { from, to, since, until } = dayRange(query, clock);
        const range = { since, until, tokenId: query.tokenId };
        const [summary, byToken] = await Promise.all([
          report(store, range),
          store.usage.byToken(range),
        ]);
        return { from, to, ...summary, byToken: byToken.map(inUsd) };
      },
    }),
  ];
}
