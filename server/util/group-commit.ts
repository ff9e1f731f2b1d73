interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** The clock writes are timed by (`performance.now()` unless a test passes its own). */
  now?: () => number;
}

/**
 * The longest pause after a slow write before the next one (see `GroupCommit`): what a caller may
 * wait beyond its turn for its item to be written.
 */
export const MAX_PAUSE_MS = 10;

/**
 * Group commit: items added in the same turn of the event loop are written together by one
 * call of `write`, on `setImmediate`, or at once when `maxBatch` items are waiting. Each
 * `add` settles with the write of its own batch.
 *
 * After a write that took a while (SQLite's sync to disk on a busy machine, which holds the event
 * loop), the next one waits as long again, up to MAX_PAUSE_MS: items that come meanwhile, over
 * several turns (a batch's answers coming back one or a few a turn), go in one write instead of
 * a write each, so that writing takes at most about half of the thread's time.
 */
export class GroupCommit<T> {
  readonly #write: (items: T[]) => Promise<void>;
  readonly #maxBatch: number;
  readonly #now: () => number;
  #queue: Waiting<T>[] = [];
  #scheduled = false;
  readonly #writing = new Set<Promise<void>>();
  /** When the last write ended, and how long it took. */
  #lastWrite = { endedAt: 0, tookMs: 0 };

  constructor(
    write: (items: T[]) => Promise<void>,
    maxBatch: number,
    options: GroupCommitOptions = {},
  ) {
    this.#write = write;
    this.#maxBatch = maxBatch;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Resolves once the batch holding `item` is written; rejects with that batch's error. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) {
        this.#writeQueued();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        const write = () => {
          this.#scheduled = false;
          this.#writeQueued();
        };
        const { endedAt, tookMs } = this.#lastWrite;
        const pauseMs = Math.min(tookMs, MAX_PAUSE_MS) - (this.#now() - endedAt);
        if (pauseMs >= 1) setTimeout(write, pauseMs);
        else setImmediate(write);
      }
    });
  }

  /** Writes what is queued and waits for every write, including those added meanwhile. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#writing.size > 0) {
      this.#writeQueued();
      await Promise.all(this.#writing);
    }
  }

  #writeQueued(): void {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const startedAt = this.#now();
    // Settles its callers and never rejects, so that flush() waits for every batch.
    const ended = () => {
      const endedAt = this.#now();
      this.#lastWrite = { endedAt, tookMs: endedAt - startedAt };
    };
    const written: Promise<void> = this.#write(batch.map((waiting) => waiting.item))
      .then(
        () => {
          ended();
          batch.forEach((waiting) => waiting.resolve());
        },
        (error: unknown) => {
          ended();
          batch.forEach((waiting) => waiting.reject(error));
        },
      )
      .finally(() => this.#writing.delete(written));
    this.#writing.add(written);
  }
}
