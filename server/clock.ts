import { setTimeout as wait } from "node:timers/promises";

/** Time as the app sees it; tests pass a clock they can move. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Waits `ms`, or rejects with the signal's reason once it aborts; tests pass one that takes no
 * real time.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const systemSleep: Sleep = (ms, signal) => wait(ms, undefined, { signal });
