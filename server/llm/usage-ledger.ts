import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/token-service.ts";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { formatUsd, usdToNanoUsd } from "../util/money.ts";
import { startOfMonthUtc } from "../util/month.ts";
import type { TokenUsage } from "./types.ts";

/** One model call as the ledger keeps it. */
export interface LedgerEntry {
  provider: string;
  model: string;
  usage: TokenUsage;
  /** Whole nano-dollars. */
  costNanoUsd: number;
  cached: boolean;
  latencyMs: number;
  /** null for a call that answered. */
  errorCode: string | null;
}

/**
 * Writes the usage ledger and enforces monthly budgets (calendar months, UTC) from it, counting
 * the rows not yet committed too, so that a burst of calls cannot overspend.
 */
export class UsageLedger {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async assertWithinBudget(caller: Caller): Promise<void> {
    if (caller.budgetUsd === null) return;
    const monthStart = startOfMonthUtc(this.#clock.now()).toISOString();
    // Read before the committed sum: a row committed in between is counted twice, never missed.
    const uncommitted = this.#store.usageWriter.uncommittedNanoUsd(caller.tokenId);
    const spent = uncommitted + (await this.#store.usage.spendSince(caller.tokenId, monthStart));
    const budget = usdToNanoUsd(caller.budgetUsd);
    if (spent >= budget) {
      throw new ApiError(
        "budget_exceeded",
        `This token's budget of ${formatUsd(budget)} for the month is used up (${formatUsd(spent)} spent); it renews on the 1st (UTC)`,
      );
    }
  }

  /** Resolves once the row is committed, written in one INSERT with the others of this turn. */
  async record(caller: Caller, requestId: string, entry: LedgerEntry): Promise<void> {
    await this.#store.usageWriter.write({
      id: randomUUID(),
      token_id: caller.tokenId,
      request_id: requestId,
      provider: entry.provider,
      model: entry.model,
      input_tokens: entry.usage.inputTokens,
      output_tokens: entry.usage.outputTokens,
      cost_nano_usd: entry.costNanoUsd,
      cached: entry.cached ? 1 : 0,
      latency_ms: entry.latencyMs,
      status: entry.errorCode ? "error" : "ok",
      error_code: entry.errorCode,
      created_at: this.#clock.now().toISOString(),
    });
  }
}
