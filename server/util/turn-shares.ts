/**
 * Shares the turns of the event loop among waiting callers: `next()` resolves on a later turn,
 * and no more than `perTurn` callers resume in any one turn, the rest on the turns after, in the
 * order they asked. Work that would otherwise start all at once (a batch's hundreds of items, or
 * their schemas' compiles) is spread over turns, and every other request is looked at between
 * two of them. Waiting for the next turn (setImmediate) alone does not spread anything: callers
 * who wait together all resume in the same turn.
 */
export class TurnShares {
  readonly #perTurn: number;
  /** Callers waiting, from `#head` on: those before it have resumed. */
  #waiting: (() => void)[] = [];
  #head = 0;
  #scheduled = false;

  constructor(perTurn: number) {
    this.#perTurn = perTurn;
  }

  /** Resolves on the first later turn with room for this caller. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (!this.#scheduled) this.#schedule();
    });
  }

  #schedule(): void {
    this.#scheduled = true;
    setImmediate(() => {
      const end = Math.min(this.#head + this.#perTurn, this.#waiting.length);
      const resumed = this.#waiting.slice(this.#head, end);
      this.#head = end;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
        this.#scheduled = false;
      } else {
        // Those resumed are dropped now and then, not on every turn (a copy of every waiter).
        if (this.#head >= 1024) {
          this.#waiting = this.#waiting.slice(this.#head);
          this.#head = 0;
        }
        // Scheduled while the immediates run: the next share comes on the next turn, not this one.
        this.#schedule();
      }
      for (const resume of resumed) resume();
    });
  }
}
