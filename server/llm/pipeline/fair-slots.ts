/** Ends a slot: call it once the work is over (a second call does nothing). */
export type Release = () => void;

/** How long a call may wait for its slot, and what it fails with when it has waited that long. */
export interface SlotWait {
  /** When the wait ends without a slot, on the `performance.now()` clock. */
  deadline: number;
  /** The failure of a call that has waited until `deadline`, told how long it waited. */
  expired(waitedMs: number): Error;
}

/** Slots taken and asked for, at one moment, and the waits seen so far. */
export interface SlotsSnapshot {
  /** The slots there are (Infinity: unbounded, only each key's own cap applies). */
  capacity: number;
  /** Slots taken. */
  inFlight: number;
  /** Calls waiting for a slot, and the keys (tokens) they belong to. */
  waiting: number;
  keysWaiting: number;
  /** Every slot given since start: how many, the total and the longest time they had waited. */
  waits: { count: number; totalMs: number; maxMs: number };
}

/** The longest delay `setTimeout` takes (2^31 - 1 ms). */
const LONGEST_TIMER_MS = 2_147_483_647;

interface Waiter {
  readonly lane: Lane;
  readonly since: number;
  grant(): void;
}

/** One key's calls: how many hold a slot, and those waiting, in their order. */
interface Lane {
  readonly key: string;
  inFlight: number;
  readonly waiters: Set<Waiter>;
}

/**
 * Slots shared fairly among keys (tokens). A free slot goes to the waiting key that holds the
 * fewest slots, and among keys holding as many, to the one served least recently; each key's own
 * calls go in their order. So a key with thousands of calls waiting delays another key's single
 * call only until the next slot frees, while no slot stays idle that some key could use. Each key
 * may also be capped (`perKey`); a capped key's calls wait for its own slots to free.
 *
 * Memory is one entry per waiting call and one per key holding or waiting for a slot, dropped
 * once the key has neither; a wait ends on its signal or at its deadline and leaves no trace.
 */
export class FairSlots {
  readonly #capacity: number;
  readonly #perKey: number;
  #free: number;
  readonly #lanes = new Map<string, Lane>();
  /** `#ready[n]`: the keys with calls waiting, `n` slots and room for one more, in turn order. */
  readonly #ready: Set<Lane>[] = [];
  /** No ready key holds fewer slots than this. */
  #lowest = 0;
  #waiting = 0;
  readonly #waits = { count: 0, totalMs: 0, maxMs: 0 };

  constructor(capacity: number, perKey = Infinity) {
    this.#capacity = capacity;
    this.#free = capacity;
    this.#perKey = perKey;
  }

  /**
   * A slot for one of `key`'s calls: at once if one is free and the key is under its cap, else in
   * the key's turn. Rejects with `signal`'s reason if it aborts first, and with `wait.expired`
   * once `wait.deadline` passes; either way the call leaves the queue.
   */
  acquire(key: string, signal: AbortSignal, wait: SlotWait): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const lane = this.#lane(key);
    if (this.#free > 0 && lane.inFlight < this.#perKey) {
      this.#take(lane, 0);
      return Promise.resolve(this.#releaser(lane));
    }
    return new Promise<Release>((resolve, reject) => {
      const since = performance.now();
      const leave = (reason: unknown) => {
        this.#remove(waiter);
        reject(reason);
      };
      const onAbort = () => {
        clearTimeout(timer);
        leave(signal.reason);
      };
      const waitMs = Math.max(0, wait.deadline - since);
      // Node would fire a longer timer at once: a wait of more than 24 days has none.
      const timer =
        waitMs <= LONGEST_TIMER_MS
          ? setTimeout(() => {
              signal.removeEventListener("abort", onAbort);
              leave(wait.expired(performance.now() - since));
            }, waitMs)
          : undefined;
      const waiter: Waiter = {
        lane,
        since,
        grant: () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve(this.#releaser(lane));
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      lane.waiters.add(waiter);
      this.#waiting++;
      if (lane.waiters.size === 1) this.#makeReady(lane);
    });
  }

  snapshot(): SlotsSnapshot {
    let keysWaiting = 0;
    for (const lane of this.#lanes.values()) if (lane.waiters.size > 0) keysWaiting++;
    return {
      capacity: this.#capacity,
      inFlight: this.#capacity === Infinity ? this.#held() : this.#capacity - this.#free,
      waiting: this.#waiting,
      keysWaiting,
      waits: { ...this.#waits },
    };
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Slots free (a key at its own cap still waits). */
  get available(): number {
    return this.#free;
  }

  /** Whether a call of `key` asking now would get a slot at once. */
  hasRoomFor(key: string): boolean {
    return this.#free > 0 && (this.#lanes.get(key)?.inFlight ?? 0) < this.#perKey;
  }

  /** Keys holding or waiting for a slot. */
  get keys(): number {
    return this.#lanes.size;
  }

  #held(): number {
    let held = 0;
    for (const lane of this.#lanes.values()) held += lane.inFlight;
    return held;
  }

  #lane(key: string): Lane {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { key, inFlight: 0, waiters: new Set() };
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  #releaser(lane: Lane): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free++;
      this.#moveLane(lane, lane.inFlight - 1);
      this.#dispatch();
      this.#forgetIfIdle(lane);
    };
  }

  /** Gives free slots to waiting keys, the one holding fewest first. */
  #dispatch(): void {
    while (this.#free > 0) {
      const lane = this.#nextReady();
      if (!lane) return;
      const [waiter] = lane.waiters;
      lane.waiters.delete(waiter!);
      this.#waiting--;
      this.#take(lane, performance.now() - waiter!.since);
      waiter!.grant();
    }
  }

  #take(lane: Lane, waitedMs: number): void {
    this.#free--;
    this.#moveLane(lane, lane.inFlight + 1);
    this.#waits.count++;
    this.#waits.totalMs += waitedMs;
    if (waitedMs > this.#waits.maxMs) this.#waits.maxMs = waitedMs;
  }

  /** Sets a key's slots held, keeping it in the ready set of its new count (at the end). */
  #moveLane(lane: Lane, inFlight: number): void {
    this.#ready[lane.inFlight]?.delete(lane);
    lane.inFlight = inFlight;
    if (lane.waiters.size > 0) this.#makeReady(lane);
  }

  #makeReady(lane: Lane): void {
    if (lane.inFlight >= this.#perKey) return;
    (this.#ready[lane.inFlight] ??= new Set()).add(lane);
    if (lane.inFlight < this.#lowest) this.#lowest = lane.inFlight;
  }

  #nextReady(): Lane | undefined {
    for (; this.#lowest < this.#ready.length; this.#lowest++) {
      const ready = this.#ready[this.#lowest];
      if (ready && ready.size > 0) return ready.values().next().value;
    }
    this.#lowest = 0;
    this.#ready.length = 0;
    return undefined;
  }

  #remove(waiter: Waiter): void {
    const { lane } = waiter;
    if (!lane.waiters.delete(waiter)) return;
    this.#waiting--;
    if (lane.waiters.size === 0) this.#ready[lane.inFlight]?.delete(lane);
    this.#forgetIfIdle(lane);
  }

  #forgetIfIdle(lane: Lane): void {
    if (lane.inFlight === 0 && lane.waiters.size === 0) this.#lanes.delete(lane.key);
  }
}
