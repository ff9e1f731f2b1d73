import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

const RESOLUTION_MS = 10;

/**
 * The longest the event loop was blocked, in ms, while `work` ran: how long any other request
 * (a colleague's /health, say) had to wait for this process to look at it. Measured by a timer
 * every 10 ms, so it does not depend on the machine being idle the way round trips do.
 */
export async function longestStallDuring(work: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  try {
    // The monitor's first tick only sets its baseline: a block before it would go unseen.
    await sleep(2 * RESOLUTION_MS);
    await work();
    // And a block at the very end is recorded only when the monitor next ticks.
    await sleep(2 * RESOLUTION_MS);
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}
