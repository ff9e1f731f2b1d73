import type { Caller } from "../../auth/token-service.ts";
import { maxCostNanoUsd } from "../billing/max-cost.ts";
import type { ReservationId, UsageLedger } from "../billing/usage-ledger.ts";
import type { ModelRegistry } from "../model-registry.ts";
import type { PreparedCompletion } from "../request/prepare.ts";
import type { SchemaChecker } from "../schemas/schema-checker.ts";
import { KeyedSemaphore } from "./semaphore.ts";

/** A call let upstream: its budget reservation, and its turn among its token's calls. */
export interface Admitted {
  reservation: ReservationId | undefined;
  /** Ends the call's turn (once the call is over, a stream's at its end). */
  leave(): void;
}

export interface AdmissionDeps {
  ledger: UsageLedger;
  registry: ModelRegistry;
  schemas: SchemaChecker;
  /** Calls one token may have upstream at once on this instance (TOKEN_MAX_IN_FLIGHT). */
  inFlightPerToken: number;
}

/**
 * Lets calls go upstream, cheapest refusal first (the routes have checked the token and its rate
 * limit already): a turn among the token's calls, then the call's maximum cost reserved against
 * its budget, and only then the expensive per-request work, the schema's validator. Cache hits
 * and a shared call's other callers never come here: they take no turn and reserve nothing.
 */
export class Admission {
  readonly #deps: AdmissionDeps;
  readonly #turns: KeyedSemaphore;

  constructor(deps: AdmissionDeps) {
    this.#deps = deps;
    this.#turns = new KeyedSemaphore(deps.inFlightPerToken);
  }

  /** Waits for the call's turn until `signal` aborts; a refused call gives back what it held. */
  async admit(
    prepared: PreparedCompletion,
    caller: Caller,
    signal: AbortSignal,
    streamed: boolean,
  ): Promise<Admitted> {
    const { ledger, registry, schemas } = this.#deps;
    const leave = await this.#turns.acquire(caller.tokenId, signal);
    let reservation: ReservationId | undefined;
    try {
      reservation = await ledger.reserve(caller, () =>
        maxCostNanoUsd(prepared, registry, streamed),
      );
      // The validator is cached: compiled here once (on a turn of the event loop of its own), it
      // checks the answer later at no cost.
      if (prepared.json?.schema) await schemas.compileInTurn(prepared.json.schema);
      return { reservation, leave };
    } catch (error) {
      await ledger.release(reservation);
      leave();
      throw error;
    }
  }
}
