import type { Clock } from "../clock.ts";
import type { Store } from "../store/store.ts";
import { usdToNanoUsd } from "../util/money.ts";
import { startOfMonthUtc } from "../util/month.ts";

/**
 * The largest share of its monthly budget any live token has spent this month (0 when no token
 * has a budget), for the "budget near its limit" alert. It reads the ledger, so it is worked out
 * at most once per `refreshMs` whatever the scrape interval, and one token's figure never becomes
 * a label (token ids are not a bounded set).
 */
export function highestBudgetShare(
  store: Pick<Store, "tokens" | "usage">,
  clock: Clock,
  refreshMs = 60_000,
): () => Promise<number> {
  let last: { at: number; share: Promise<number> } | undefined;
  const compute = async (): Promise<number> => {
    const now = clock.now();
    const budgets = (await store.tokens.list()).filter(
      (token) => token.budget_usd !== null && token.budget_usd > 0 && token.revoked_at === null,
    );
    if (budgets.length === 0) return 0;
    const spent = new Map(
      (
        await store.usage.byToken({
          since: startOfMonthUtc(now).toISOString(),
          until: new Date(now.getTime() + 1).toISOString(),
        })
      ).map((row) => [row.tokenId, row.costNanoUsd]),
    );
    return Math.max(
      ...budgets.map((token) => (spent.get(token.id) ?? 0) / usdToNanoUsd(token.budget_usd!)),
    );
  };
  return () => {
    const now = performance.now();
    if (!last || now - last.at >= refreshMs) {
      const current = { at: now, share: compute() };
      last = current;
      // A failed read is tried again at the next scrape, not a minute later.
      current.share.catch(() => {
        if (last === current) last = undefined;
      });
    }
    return last.share;
  };
}
