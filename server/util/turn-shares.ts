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
  #waiting: (() => void)[] = [];
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
      const resumed = this.#waiting.slice(0, this.#perTurn);
      this.#waiting = this.#waiting.slice(this.#perTurn);
      // Scheduled while the immediates run: the next share comes on the next turn, not this one.
      if (this.#waiting.length > 0) this.#schedule();
      else this.#scheduled = false;
      for (const resume of resumed) resume();
    });
  }
}
