interface Flight<T> {
  promise: Promise<T>;
  waiters: number;
  controller: AbortController;
  /** Whether a waiter has already received the outcome (and with it, the bill). */
  claimed: boolean;
}

/** What one waiter receives: the shared outcome, and whether it is the one to pay for it. */
export type Shared<T> = { payer: boolean } & (
  { ok: true; value: T } | { ok: false; error: unknown }
);

/**
 * Lets concurrent identical requests share one upstream call. The shared call is aborted only
 * when every caller waiting for it has gone away.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();
  #waiting = 0;

  /**
   * Runs `work` once per key at a time. Resolves with the outcome, success or failure, for each
   * waiter still there; exactly one of them (the first to receive it: the caller that started
   * the work, unless it went away) is its `payer`. Rejects with the signal's reason for a waiter
   * whose signal aborts first.
   */
  run(
    key: string,
    signal: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<Shared<T>> {
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = work(controller.signal).finally(() => this.#flights.delete(key));
      flight = { promise, waiters: 0, controller, claimed: false };
      this.#flights.set(key, flight);
    }
    const current = flight;
    current.waiters++;
    this.#waiting++;
    return new Promise<Shared<T>>((resolve, reject) => {
      let gone = false;
      const leave = () => {
        gone = true;
        this.#waiting--;
        current.waiters--;
        if (current.waiters === 0) current.controller.abort(signal.reason);
        reject(signal.reason);
      };
      if (signal.aborted) return leave();
      signal.addEventListener("abort", leave, { once: true });
      const settle = (outcome: { ok: true; value: T } | { ok: false; error: unknown }) => {
        signal.removeEventListener("abort", leave);
        if (gone) return;
        this.#waiting--;
        const payer = !current.claimed;
        current.claimed = true;
        resolve({ payer, ...outcome });
      };
      current.promise.then(
        (value) => settle({ ok: true, value }),
        (error: unknown) => settle({ ok: false, error }),
      );
    });
  }

  get size(): number {
    return this.#flights.size;
  }

  /** Callers waiting for a shared call right now, on every key. */
  get waiting(): number {
    return this.#waiting;
  }
}
