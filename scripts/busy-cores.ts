import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/**
 * A loop that keeps one core busy, and exits by itself once the process that started it is gone
 * (its parent changes), so no loop outlives a stress run however that run ends.
 */
const busyLoop = `
const parent = process.ppid;
for (let i = 1; ; i++) if (i % 10_000_000 === 0 && process.ppid !== parent) process.exit(0);
`;

/** Stops the loops, and resolves once they are gone. */
async function stop(loops: ChildProcess[]): Promise<void> {
  await Promise.all(
    loops.map(async (loop) => {
      if (loop.exitCode !== null || loop.signalCode !== null) return;
      const exited = once(loop, "exit");
      loop.kill("SIGKILL");
      await exited;
    }),
  );
}

/**
 * Runs `work` while `count` busy loops, each a child process, keep that many cores loaded, and
 * stops the loops whatever happens: when `work` ends or throws, and when this process is
 * interrupted or terminated (SIGINT, SIGTERM).
 */
export async function withBusyCores<T>(
  count: number,
  work: (loops: readonly ChildProcess[]) => Promise<T>,
): Promise<T> {
  const loops: ChildProcess[] = [];
  const interrupted = (signal: NodeJS.Signals) => {
    void stop(loops).finally(() => process.kill(process.pid, signal));
  };
  const onSigint = () => interrupted("SIGINT");
  const onSigterm = () => interrupted("SIGTERM");
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigterm);
  try {
    for (let i = 0; i < count; i++) {
      const loop = spawn(process.execPath, ["-e", busyLoop], { stdio: "ignore" });
      loops.push(loop);
      await once(loop, "spawn");
    }
    return await work(loops);
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    await stop(loops);
  }
}
