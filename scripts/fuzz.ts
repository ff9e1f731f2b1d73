/**
 * `npm run fuzz -- --requests 10000 [--seed 1234]`: the hostile-input suite
 * (server/test/hostile/hostile-input.int.test.ts) with more random requests than `npm test`
 * sends; --seed replays a run whose failure printed its FUZZ_SEED.
 */
import { parseArgs } from "node:util";
import { startVitest } from "vitest/node";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "10000" }, seed: { type: "string" } },
});
for (const [name, value] of Object.entries(values)) {
  if (value !== undefined && !/^\d+$/.test(value)) {
    process.stderr.write(`--${name} must be a whole number, not ${value}\n`);
    process.exit(2);
  }
}
process.env.FUZZ_REQUESTS = values.requests;
if (values.seed !== undefined) process.env.FUZZ_SEED = values.seed;

// Vitest sets the exit code: 1 when a test fails.
const vitest = await startVitest("test", ["server/test/hostile/hostile-input.int.test.ts"], {
  run: true,
  project: ["hostile"],
});
await vitest.close();
