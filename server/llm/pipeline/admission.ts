import type { Caller } from "../../auth/token-service.ts";
import type { Logger } from "../../logger.ts";
import { maxCostNanoUsd } from "../billing/max-cost.ts";
import type { ReservationId, UsageLedger } from "../billing/usage-ledger.ts";
import type { ModelRegistry } from "../model-registry.ts";
import type { PreparedCompletion } from "../request/prepare.ts";
import { LlmError } from "../errors.ts";
import type { SchemaChecker } from "../schemas/schema-checker.ts";
import { queueDeadline, type CallTime } from "./call-time.ts";
import { FairSlots, type Release, type SlotsSnapshot } from "./fair-slots.ts";
import { QUEUE_RETRY_AFTER_MS, seconds } from "./provider-slots.ts";

/** A call let upstream: its turn among its token's calls, its model's slot, its reservation. */
export interface Admitted {
  reservation: ReservationId | undefined;
  /** The slot of the first model's provider, held for the call (upstream.ts gives it back). */
  slot: Release;
  /** Ends the call's turn and gives its slot back (once the call is over, a stream's at its end). */
  leave(): void;
}

export interface AdmissionDeps {
  ledger: UsageLedger;
  registry: ModelRegistry;
  schemas: SchemaChecker;
  logger: Logger;
  /** Calls one token may have upstream at once on this instance (TOKEN_MAX_IN_FLIGHT). */
  inFlightPerToken: number;
  /** QUEUE_TIMEOUT_MS: the longest a call waits for its turn. */
  queueWaitMs: number;
  /** The least time worth starting a call with (call-time.ts): no turn is given with less. */
  retry: { shortestAttemptMs: number };
  /** A slot of the call's first model's provider, in the token's turn (upstream.ts). */
  providerSlot(prepared: PreparedCompletion, tokenId: string, time: CallTime): Promise<Release>;
}

/**
 * Lets calls go upstream (the routes have checked the token and its rate limit already): a turn
 * among the token's calls (TOKEN_MAX_IN_FLIGHT), a slot of the model's provider, shared fairly
 * among tokens, then the call's maximum cost reserved against its budget, and only then the
 * expensive per-request work, the schema's validator. A call waiting in either queue holds no
 * budget: a token's large batch reserves only for the calls it has upstream. Cache hits and a
 * shared call's other callers never come here: they take no turn, no slot, and reserve nothing.
 */
export class Admission {
  readonly #deps: AdmissionDeps;
  /** Each token's turns: no cap overall, TOKEN_MAX_IN_FLIGHT per token. */
  readonly #turns: FairSlots;

  constructor(deps: AdmissionDeps) {
    this.#deps = deps;
    this.#turns = new FairSlots(Infinity, deps.inFlightPerToken);
  }

  /**
   * Waits for the call's turn, then its slot (each wait at most QUEUE_TIMEOUT_MS, and while the
   * call's time allows, else `queue_timeout`); a refused call gives back what it held.
   */
  async admit(
    prepared: PreparedCompletion,
    caller: Caller,
    time: CallTime,
    streamed: boolean,
  ): Promise<Admitted> {
    const { ledger, registry, schemas } = this.#deps;
    const endTurn = await this.turn(caller.tokenId, time);
    let slot: Release | undefined;
    const leave = () => {
      slot?.();
      endTurn();
    };
    let reservation: ReservationId | undefined;
    try {
      slot = await this.#deps.providerSlot(prepared, caller.tokenId, time);
      reservation = await ledger.reserve(caller, () =>
        maxCostNanoUsd(prepared, registry, streamed),
      );
      // The validator is cached: compiled here once (on a turn of the event loop of its own), it
      // checks the answer later at no cost.
      if (prepared.json?.schema)
        await schemas.compileInTurn(prepared.json.schema, prepared.schemaField);
      return { reservation, slot, leave };
    } catch (error) {
      await ledger.release(reservation);
      leave();
      throw error;
    }
  }

  /**
   * The call's turn among its token's calls (TOKEN_MAX_IN_FLIGHT), waited for at most
   * QUEUE_TIMEOUT_MS: for a completion here, for an embeddings call by itself. Ends when called.
   */
  turn(tokenId: string, time: CallTime): Promise<Release> {
    const { queueWaitMs, retry } = this.#deps;
    return this.#turns.acquire(tokenId, time.signal, {
      deadline: queueDeadline(time, queueWaitMs, retry.shortestAttemptMs),
      expired: (waitedMs) => this.#expired(tokenId, waitedMs),
    });
  }

  #expired(tokenId: string, waitedMs: number): LlmError {
    const { inFlightPerToken, logger } = this.#deps;
    logger.warn(
      { tokenId, waitedMs: Math.round(waitedMs), inFlightPerToken },
      "call waited too long for its token's turn",
    );
    return new LlmError(
      "queue_timeout",
      `This token's calls in flight are at their limit (${inFlightPerToken} at once); this one waited ${seconds(waitedMs)} for its turn. Try again shortly`,
      { retryAfterMs: QUEUE_RETRY_AFTER_MS },
    );
  }

  /** The tokens' turns at this moment: calls in flight and waiting, and the waits seen so far. */
  turns(): SlotsSnapshot {
    return this.#turns.snapshot();
  }
}
