import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/token-service.ts";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { startOfMonthUtc } from "../util/month.ts";
import type { TokenUsage } from "./types.ts";

/** One model call as the ledger keeps it. */
export interface LedgerEntry {
  provider: string;
  model: string;
  usage: TokenUsage;
  costUsd: number;
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
    const uncommitted = this.#store.usageWriter.uncommittedCostUsd(caller.tokenId);
    const spent = uncommitted + (await this.#store.usage.spendSince(caller.tokenId, monthStart));
    if (spent >= caller.budgetUsd) {
      throw new ApiError(
        "budget_exceeded",
        `This token's budget of ${usd(caller.budgetUsd)} for the month is used up (${usd(spent)} spent); it renews on the 1st (UTC)`,
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
      cost_usd: entry.costUsd,
      cached: entry.cached ? 1 : 0,
      latency_ms: entry.latencyMs,
      status: entry.errorCode ? "error" : "ok",
      error_code: entry.errorCode,
      created_at: this.#clock.now().toISOString(),
    });
  }
}

/** Dollars to the cent, or to four significant digits below a cent. */
function usd(amount: number): string {
  return amount >= 0.01 || amount === 0 ? `$${amount.toFixed(2)}` : `$${amount.toPrecision(4)}`;
}
