/** Caps concurrent work; waiters queue in order and leave the queue if their signal aborts. */
export class Semaphore {
  #available: number;
  readonly #queue: (() => void)[] = [];

  constructor(limit: number) {
    this.#available = limit;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#available > 0) {
      this.#available--;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(grant);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal!.reason);
      };
      this.#queue.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    return this.#releaser();
  }

  get waiting(): number {
    return this.#queue.length;
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#available++;
    };
  }
}
