/**
 * CPU time of processes and of their main threads, from /proc (Linux), for the benchmark's
 * per-request figures. A Node server's JavaScript runs on its main thread, so that thread's time
 * per request bounds its throughput (one core); the other threads (V8's garbage collector and
 * compiler, libuv's pool) add to what the machine spends.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;

function statMs(path: string): number {
  const stat = readFileSync(path, "utf8");
  // After "pid (command) ", utime and stime are the 12th and 13th fields, in clock ticks; the
  // command may itself hold ") ", so split at the last one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** CPU time, user and system, in ms: of all a process's threads, and of its main thread. */
export function cpuMs(pid: number): { all: number; main: number } {
  return { all: statMs(`/proc/${pid}/stat`), main: statMs(`/proc/${pid}/task/${pid}/stat`) };
}
