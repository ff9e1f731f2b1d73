/**
 * Shares the turns of the event loop among waiting callers: `next()` resolves on a later turn,
 * and no more than `perTurn` callers resume in any one turn, the rest on the turns after. Work
 * that would otherwise start all at once (a batch's hundreds of items, or their schemas'
 * compiles) is spread over turns, and every other request is looked at between two of them.
 * Waiting for the next turn (setImmediate) alone does not spread anything: callers who wait
 * together all resume in the same turn.
 *
 * Callers may name an owner (a token): owners take turns, one caller each, so an owner with
 * thousands waiting delays another owner's single caller by one share at most (by one turn while
 * there are no more owners waiting than `perTurn`). An owner's own callers resume in the order
 * they asked.
 */
export class TurnShares {
  readonly #perTurn: number;
  /** Each owner's waiting callers, owners in the order they are to be served. */
  readonly #owners = new Map<string, Waiting>();
  #scheduled = false;

  constructor(perTurn: number) {
    this.#perTurn = perTurn;
  }

  /** Resolves on the first later turn with room for this caller. */
  next(owner = ""): Promise<void> {
    return new Promise((resolve) => {
      let waiting = this.#owners.get(owner);
      if (!waiting) {
        waiting = { resumes: [], head: 0 };
        this.#owners.set(owner, waiting);
      }
      waiting.resumes.push(resolve);
      if (!this.#scheduled) this.#schedule();
    });
  }

  #schedule(): void {
    this.#scheduled = true;
    setImmediate(() => {
      const resumed = this.#share();
      // Scheduled while the immediates run: the next share comes on the next turn, not this one.
      if (this.#owners.size > 0) this.#schedule();
      else this.#scheduled = false;
      for (const resume of resumed) resume();
    });
  }

  /** This turn's callers: one of each owner in turn, until the share is full. */
  #share(): (() => void)[] {
    const resumed: (() => void)[] = [];
    while (resumed.length < this.#perTurn && this.#owners.size > 0) {
      for (const owner of [...this.#owners.keys()]) {
        if (resumed.length >= this.#perTurn) break;
        const waiting = this.#owners.get(owner)!;
        resumed.push(waiting.resumes[waiting.head++]!);
        // To the back of the line: the next share starts with the owners this one has not served.
        this.#owners.delete(owner);
        if (waiting.head < waiting.resumes.length) {
          // Those resumed are dropped now and then, not on every turn (a copy of every waiter).
          if (waiting.head >= 1024) {
            waiting.resumes = waiting.resumes.slice(waiting.head);
            waiting.head = 0;
          }
          this.#owners.set(owner, waiting);
        }
      }
    }
    return resumed;
  }
}

/** One owner's waiting callers, from `head` on: those before it have resumed. */
interface Waiting {
  resumes: (() => void)[];
  head: number;
}
