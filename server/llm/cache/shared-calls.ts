import type { Caller } from "../../auth/token-service.ts";
import type { ReservationId } from "../billing/usage-ledger.ts";
import { asLlmError } from "../errors.ts";
import type { Answer } from "../pipeline/answer.ts";
import type { CallTime } from "../pipeline/call-time.ts";
import type { PreparedCompletion } from "../request/prepare.ts";
import { SingleFlight } from "./single-flight.ts";

/**
 * Lets callers who ask the same at once share one call upstream (single-flight.ts). One of them
 * pays for it: its starter, unless it went away, from the reservation the starter made; the
 * others get its answer, or its failure, as a replay at no cost. So callers with a budget share
 * calls with themselves only.
 */
export class SharedCalls {
  readonly #flights: SingleFlight<Answer>;
  readonly #release: (reservation: ReservationId | undefined) => Promise<void>;

  /**
   * `release` gives a reservation back unused, for a call nobody is left to record; `flights`,
   * a test's own, to count who waits.
   */
  constructor(
    release: (reservation: ReservationId | undefined) => Promise<void>,
    flights = new SingleFlight<Answer>(),
  ) {
    this.#release = release;
    this.#flights = flights;
  }

  /**
   * Joins the call in flight for the same request, or starts it with `call`. Each caller waits
   * until its own time is up; the call itself runs with the flight's time, whose signal aborts
   * once every caller has gone. Fails with the call's failure: billed for the payer only.
   */
  async join(
    prepared: PreparedCompletion,
    caller: Caller,
    time: CallTime,
    call: (time: CallTime) => Promise<Answer>,
  ): Promise<{ answer: Answer; payer: boolean }> {
    const key = caller.budgetUsd === null ? prepared.key : `${prepared.key}\n${caller.tokenId}`;
    const shared = await this.#flights.run(key, time.signal, (signal) =>
      this.#run(call, { signal, deadline: time.deadline }),
    );
    if (shared.ok) return { answer: shared.value, payer: shared.payer };
    const failure = asLlmError(shared.error);
    throw shared.payer ? failure : failure.unbilled();
  }

  /** The shared call. Once every caller has gone nobody is left to record it: its hold goes here. */
  async #run(call: (time: CallTime) => Promise<Answer>, time: CallTime): Promise<Answer> {
    try {
      const answer = await call(time);
      if (time.signal.aborted) await this.#release(answer.reservation);
      return answer;
    } catch (error) {
      const failure = asLlmError(error);
      if (!time.signal.aborted) throw failure;
      await this.#release(failure.bill.reservation);
      throw failure.unbilled();
    }
  }
}
