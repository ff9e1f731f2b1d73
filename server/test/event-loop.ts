/** Measures what a test's work does to this process's event loop and heap, where the app runs. */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";

const RESOLUTION_MS = 10;

/**
 * Runs `work` and says the longest the event loop was blocked meanwhile, in ms: how long any
 * other request (a colleague's /health, say) had to wait for this process to look at it. Measured
 * by a timer every 10 ms, so it does not depend on the machine being idle the way round trips do.
 */
export async function longestStall<T>(
  work: () => Promise<T>,
): Promise<{ result: T; stallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  try {
    // The monitor's first tick only sets its baseline: a block before it would go unseen.
    await sleep(2 * RESOLUTION_MS);
    const result = await work();
    // And a block at the very end is recorded only when the monitor next ticks.
    await sleep(2 * RESOLUTION_MS);
    return { result, stallMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

type Gc = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * The heap in use after the fullest garbage collection, in bytes: the last-resort one also empties
 * V8's compilation cache, which keeps the code of large generated functions (ajv's validators)
 * until memory runs short, so what remains is what the app holds.
 */
export function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as Gc;
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  return process.memoryUsage().heapUsed;
}
