/** Measures what a test's work does to this process's event loop, where the app under test runs. */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";

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
