import type { Timer } from "./timer.ts";

/**
 * A timer for tests (never imported by the add-in): time moves only when `advance` moves it,
 * running what falls due in order.
 */
export class ManualTimer implements Timer {
  #now: number;
  #tasks: { at: number; task: () => void }[] = [];

  constructor(start = Date.parse("2026-11-25T12:00:00.000Z")) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, task: () => void): () => void {
    const entry = { at: this.#now + ms, task };
    this.#tasks.push(entry);
    return () => {
      this.#tasks = this.#tasks.filter((other) => other !== entry);
    };
  }

  /** How long until each task waiting runs, soonest first. */
  get pending(): number[] {
    return this.#tasks.map((entry) => entry.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, running each task that falls due, at its own time. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#tasks.filter((entry) => entry.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#tasks = this.#tasks.filter((entry) => entry !== due);
      this.#now = Math.max(this.#now, due.at);
      due.task();
    }
    this.#now = end;
  }
}
