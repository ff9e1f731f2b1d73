/** When delayed work runs: the browser's timers by default; tests pass a timer they move by hand. */
export interface Timer {
  /** Now, in epoch ms. */
  now(): number;
  /** Runs `task` after `ms`; the function returned cancels it. */
  after(ms: number, task: () => void): () => void;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  after: (ms, task) => {
    const id = setTimeout(task, ms);
    return () => clearTimeout(id);
  },
};
