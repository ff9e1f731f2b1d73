/** Measures what a test's work does to this process's event loop, where the app under test runs. */
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Runs `work` and says the longest the event loop was held meanwhile, in ms. */
export async function longestStall<T>(
  work: () => Promise<T>,
): Promise<{ result: T; stallMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const result = await work();
    return { result, stallMs: delay.max / 1e6 };
  } finally {
    delay.disable();
  }
}
