/**
 * `npm run test:stress`: the README's test command (`npm test`) while a busy loop keeps each
 * core loaded, as on a contributor's laptop with other work running. The suite must pass so.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { withBusyCores } from "./busy-cores.ts";

const cores = availableParallelism();
const started = performance.now();
process.stderr.write(`test:stress: ${cores} busy loop(s), one per core, while npm test runs\n`);

const code = await withBusyCores(cores, async () => {
  // In a process group of its own, so that stopping this run stops every process of the tests.
  const tests = spawn("npm", ["test"], { stdio: "inherit", detached: true });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => process.kill(-tests.pid!, signal));
  }
  const [exitCode, signal] = (await once(tests, "exit")) as [number | null, string | null];
  return exitCode ?? (signal ? 1 : 0);
});

const minutes = ((performance.now() - started) / 60_000).toFixed(1);
process.stderr.write(
  `test:stress: npm test ${code === 0 ? "passed" : "failed"} in ${minutes} min\n`,
);
process.exitCode = code;
