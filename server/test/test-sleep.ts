import { systemSleep, type Sleep } from "../clock.ts";

/**
 * The app's sleep for tests: it records every wait asked for and takes no real time. While held,
 * each wait stays asleep until `release()` or until its signal aborts, so a test can act during
 * one; a wait whose signal aborted rejects as the real sleep does.
 */
export class TestSleep {
  /** Every wait asked for, in ms, oldest first. */
  readonly asked: number[] = [];
  #held = false;
  readonly #sleepers = new Set<() => void>();
  readonly #watchers = new Set<() => void>();

  readonly sleep: Sleep = async (ms, signal) => {
    this.asked.push(ms);
    if (this.#held && !signal?.aborted) {
      await new Promise<void>((wake) => {
        const done = () => {
          this.#sleepers.delete(done);
          signal?.removeEventListener("abort", done);
          wake();
        };
        this.#sleepers.add(done);
        signal?.addEventListener("abort", done, { once: true });
        for (const watcher of this.#watchers) watcher();
      });
    }
    await systemSleep(0, signal);
  };

  /** Waits asleep right now. */
  get sleepers(): number {
    return this.#sleepers.size;
  }

  /** Keeps every later wait asleep until `release()`. */
  hold(): void {
    this.#held = true;
  }

  /** Wakes every sleeper, and lets later waits pass at once again. */
  release(): void {
    this.#held = false;
    for (const wake of [...this.#sleepers]) wake();
  }

  /** Resolves once `count` waits are asleep at the same time. */
  waitForSleepers(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#sleepers.size < count) return;
        this.#watchers.delete(check);
        resolve();
      };
      this.#watchers.add(check);
      check();
    });
  }

  /** Forgets the waits asked for and releases any sleeper (between tests). */
  reset(): void {
    this.asked.length = 0;
    this.release();
  }
}
