import { randomUUID } from "node:crypto";
import type { Caller } from "../../auth/token-service.ts";
import type { Clock } from "../../clock.ts";
import { LlmError } from "../errors.ts";
import type { Store } from "../../store/store.ts";
import { formatUsd, usdToNanoUsd } from "../../util/money.ts";
import { startOfMonthUtc } from "../../util/month.ts";
import type { TokenUsage } from "../types.ts";

/** One model call as the ledger keeps it. */
export interface LedgerEntry {
  provider: string;
  model: string;
  /** The operator's label of the provider key that answered; null for a cached or failed call. */
  keyLabel: string | null;
  usage: TokenUsage;
  /** Whole nano-dollars. */
  costNanoUsd: number;
  cached: boolean;
  latencyMs: number;
  /** null for a call that answered. */
  errorCode: string | null;
}

/** The id of a budget reservation, held from before a call goes upstream until its row is written. */
export type ReservationId = string;

/**
 * Writes the usage ledger and enforces monthly budgets (calendar months, UTC): each call with a
 * budget first reserves its maximum cost, atomically against the ledger and the other calls'
 * reservations on every instance, and its ledger row releases the reservation as it is written.
 */
export class UsageLedger {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #holdMs: number;

  /**
   * `requestTimeoutMs` bounds every call; a reservation lasts twice that, so that only one whose
   * process died (and whose call can no longer settle) ever expires.
   */
  constructor(store: Store, clock: Clock, requestTimeoutMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#holdMs = 2 * requestTimeoutMs;
  }

  /**
   * Holds the call's maximum cost against the caller's budget, or refuses the call with
   * budget_exceeded. A token without a budget holds nothing and asks nothing of the database.
   */
  async reserve(caller: Caller, maxCost: () => number): Promise<ReservationId | undefined> {
    if (caller.budgetUsd === null) return undefined;
    const maxCostNanoUsd = maxCost();
    const now = this.#clock.now();
    const since = startOfMonthUtc(now).toISOString();
    const budgetNanoUsd = usdToNanoUsd(caller.budgetUsd);
    const id = randomUUID();
    const held = await this.#store.reservations.reserve(
      {
        id,
        tokenId: caller.tokenId,
        amountNanoUsd: maxCostNanoUsd,
        expiresAt: new Date(now.getTime() + this.#holdMs).toISOString(),
      },
      { budgetNanoUsd, since, now: now.toISOString() },
    );
    if (held) return id;
    const { spentNanoUsd, heldNanoUsd } = await this.#store.reservations.standing(
      caller.tokenId,
      since,
      now.toISOString(),
    );
    const budget = `This token's budget of ${formatUsd(budgetNanoUsd)} for the month`;
    throw new LlmError(
      "budget_exceeded",
      spentNanoUsd >= budgetNanoUsd
        ? `${budget} is used up (${formatUsd(spentNanoUsd)} spent); it renews on the 1st (UTC)`
        : `${budget} cannot cover this call, which may cost up to ${formatUsd(maxCostNanoUsd)} ` +
            `(${formatUsd(spentNanoUsd)} spent, ${formatUsd(heldNanoUsd)} held for calls in ` +
            "flight); ask for fewer output tokens (maxTokens), or wait for the calls in flight",
    );
  }

  /** Gives a reservation back unused: for a call that ends without a ledger row. */
  async release(reservation: ReservationId | undefined): Promise<void> {
    if (reservation !== undefined) await this.#store.reservations.release(reservation);
  }

  /**
   * Resolves once the row is committed, written in one INSERT with the others of this turn, and
   * `reservation` (the call's hold, which its cost replaces) released with it.
   */
  async record(
    caller: Caller,
    requestId: string,
    entry: LedgerEntry,
    reservation?: ReservationId,
  ): Promise<void> {
    await this.#store.usageWriter.write(
      {
        id: randomUUID(),
        token_id: caller.tokenId,
        request_id: requestId,
        provider: entry.provider,
        model: entry.model,
        key_label: entry.keyLabel,
        input_tokens: entry.usage.inputTokens,
        output_tokens: entry.usage.outputTokens,
        cost_nano_usd: entry.costNanoUsd,
        cached: entry.cached ? 1 : 0,
        latency_ms: entry.latencyMs,
        status: entry.errorCode ? "error" : "ok",
        error_code: entry.errorCode,
        created_at: this.#clock.now().toISOString(),
      },
      reservation,
    );
  }
}
