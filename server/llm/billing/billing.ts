import type { Caller } from "../../auth/token-service.ts";
import type { Metrics } from "../../metrics/metrics.ts";
import { nanoUsdToUsd } from "../../util/money.ts";
import type { LlmError } from "../errors.ts";
import type { ModelInfo, ModelRegistry } from "../model-registry.ts";
import type { Answer } from "../pipeline/answer.ts";
import type { LedgerEntry, ReservationId, UsageLedger } from "./usage-ledger.ts";

/** Whom a call is billed to, and the request it was made for. */
export interface Payer {
  caller: Caller;
  requestId: string;
}

/**
 * Bills calls: one ledger row each, written before the answer leaves, at what the call cost at its
 * model's price; the row releases the call's budget reservation as it is written. Each row is
 * counted in the metrics too, as it is committed.
 */
export class Billing {
  readonly #ledger: UsageLedger;
  readonly #registry: ModelRegistry;
  readonly #metrics: Metrics;

  constructor(ledger: UsageLedger, registry: ModelRegistry, metrics: Metrics) {
    this.#ledger = ledger;
    this.#registry = registry;
    this.#metrics = metrics;
  }

  /** Records an answer: a cached one (or a replay) costs nothing. Returns its cost. */
  async answered(
    payer: Payer,
    answer: Answer,
    call: { cached: boolean; latencyMs: number },
  ): Promise<number> {
    const { model, usage } = answer;
    const costNanoUsd = call.cached
      ? 0
      : this.#registry.costNanoUsd(model, usage.inputTokens, usage.outputTokens);
    await this.#record(
      payer,
      {
        provider: model.provider,
        model: model.id,
        keyLabel: call.cached ? null : (answer.keyLabel ?? null),
        usage,
        costNanoUsd,
        cached: call.cached,
        latencyMs: call.latencyMs,
        errorCode: null,
      },
      call.cached ? undefined : answer.reservation,
    );
    return costNanoUsd;
  }

  /**
   * Records a failed call of `model` at what it had spent (its bill), releasing its reservation.
   * A request that could not be served as asked (`invalid_request`: a provider not configured
   * here, a schema that does not compile) was never a call, and gets no row; a budget refusal is
   * one, and its row shows the operator who was turned away; so is a cancelled one.
   */
  async failed(
    payer: Payer,
    failure: LlmError,
    model: ModelInfo,
    latencyMs: number,
  ): Promise<void> {
    const { spent, reservation } = failure.bill;
    if (failure.code === "invalid_request") return this.#ledger.release(reservation);
    const usage = spent?.usage ?? { inputTokens: 0, outputTokens: 0 };
    const billed = spent?.model ?? model;
    if (failure.code === "budget_exceeded") this.#metrics.refused("budget");
    await this.#record(
      payer,
      {
        provider: billed.provider,
        model: billed.id,
        keyLabel: null,
        usage,
        costNanoUsd: this.#registry.costNanoUsd(billed, usage.inputTokens, usage.outputTokens),
        cached: false,
        latencyMs,
        errorCode: failure.code,
      },
      reservation,
    );
  }

  /** Writes the row, then counts the call and the commit's time. */
  async #record(
    payer: Payer,
    entry: LedgerEntry,
    reservation: ReservationId | undefined,
  ): Promise<void> {
    const started = performance.now();
    await this.#ledger.record(payer.caller, payer.requestId, entry, reservation);
    this.#metrics.ledgerCommitted((performance.now() - started) / 1000);
    this.#metrics.modelCall({
      provider: entry.provider,
      model: entry.model,
      outcome: entry.cached ? "cached" : (entry.errorCode ?? "ok"),
      seconds: entry.latencyMs / 1000,
      usage: entry.usage,
      costUsd: nanoUsdToUsd(entry.costNanoUsd),
    });
  }
}
