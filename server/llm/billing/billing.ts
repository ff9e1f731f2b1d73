import type { Caller } from "../../auth/token-service.ts";
import type { LlmError } from "../errors.ts";
import type { ModelInfo, ModelRegistry } from "../model-registry.ts";
import type { Answer } from "../pipeline/answer.ts";
import type { UsageLedger } from "./usage-ledger.ts";

/** Whom a call is billed to, and the request it was made for. */
export interface Payer {
  caller: Caller;
  requestId: string;
}

/**
 * Bills calls: one ledger row each, written before the answer leaves, at what the call cost at its
 * model's price; the row releases the call's budget reservation as it is written.
 */
export class Billing {
  readonly #ledger: UsageLedger;
  readonly #registry: ModelRegistry;

  constructor(ledger: UsageLedger, registry: ModelRegistry) {
    this.#ledger = ledger;
    this.#registry = registry;
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
    await this.#ledger.record(
      payer.caller,
      payer.requestId,
      {
        provider: model.provider,
        model: model.id,
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
    await this.#ledger.record(
      payer.caller,
      payer.requestId,
      {
        provider: billed.provider,
        model: billed.id,
        usage,
        costNanoUsd: this.#registry.costNanoUsd(billed, usage.inputTokens, usage.outputTokens),
        cached: false,
        latencyMs,
        errorCode: failure.code,
      },
      reservation,
    );
  }
}
