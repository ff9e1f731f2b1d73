interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items added in the same turn of the event loop are written together by one
 * call of `write`, on `setImmediate`, or at once when `maxBatch` items are waiting. Each
 * `add` settles with the write of its own batch.
 */
export class GroupCommit<T> {
  readonly #write: (items: T[]) => Promise<void>;
  readonly #maxBatch: number;
  #queue: Waiting<T>[] = [];
  #scheduled = false;
  readonly #writing = new Set<Promise<void>>();

  constructor(write: (items: T[]) => Promise<void>, maxBatch: number) {
    this.#write = write;
    this.#maxBatch = maxBatch;
  }

  /** Resolves once the batch holding `item` is written; rejects with that batch's error. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) {
        this.#writeQueued();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#writeQueued();
        });
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
    // Settles its callers and never rejects, so that flush() waits for every batch.
    const written: Promise<void> = this.#write(batch.map((waiting) => waiting.item))
      .then(
        () => batch.forEach((waiting) => waiting.resolve()),
        (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
      )
      .finally(() => this.#writing.delete(written));
    this.#writing.add(written);
  }
}
