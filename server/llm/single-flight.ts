interface Flight<T> {
  promise: Promise<T>;
  waiters: number;
  controller: AbortController;
}

/**
 * Lets concurrent identical requests share one upstream call. The shared call is aborted only
 * when every caller waiting for it has gone away.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** Runs `work` once per key at a time; `leader` is true for the caller that started it. */
  run(
    key: string,
    signal: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
  ): { leader: boolean; result: Promise<T> } {
    let flight = this.#flights.get(key);
    const leader = !flight;
    if (!flight) {
      const controller = new AbortController();
      const promise = work(controller.signal).finally(() => this.#flights.delete(key));
      flight = { promise, waiters: 0, controller };
      this.#flights.set(key, flight);
    }
    const current = flight;
    current.waiters++;
    const result = new Promise<T>((resolve, reject) => {
      const leave = () => {
        current.waiters--;
        if (current.waiters === 0) current.controller.abort(signal.reason);
        reject(signal.reason);
      };
      if (signal.aborted) return leave();
      signal.addEventListener("abort", leave, { once: true });
      current.promise.then(
        (value) => {
          signal.removeEventListener("abort", leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
    });
    return { leader, result };
  }

  get size(): number {
    return this.#flights.size;
  }
}
