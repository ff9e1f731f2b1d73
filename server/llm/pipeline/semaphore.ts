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

/**
 * A semaphore per key (one per token, say), each made on first use and dropped once nobody holds
 * or waits for it, so that the keys seen over time cost no memory.
 */
export class KeyedSemaphore {
  readonly #limit: number;
  readonly #semaphores = new Map<string, { semaphore: Semaphore; users: number }>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    let entry = this.#semaphores.get(key);
    if (!entry) {
      entry = { semaphore: new Semaphore(this.#limit), users: 0 };
      this.#semaphores.set(key, entry);
    }
    const current = entry;
    current.users++;
    const leave = () => {
      current.users--;
      if (current.users === 0) this.#semaphores.delete(key);
    };
    let release: () => void;
    try {
      release = await current.semaphore.acquire(signal);
    } catch (error) {
      leave();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      leave();
    };
  }

  /** Keys with a holder or a waiter. */
  get size(): number {
    return this.#semaphores.size;
  }
}
