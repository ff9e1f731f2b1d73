/**
 * Compares the gateway's CPU per call in two checkouts of OfficeLLM (before and after a change):
 * both started side by side as `npm start` starts them, calling one fake provider, closed loops
 * of 50 connections alternating between the two, so that whatever else the machine does falls on
 * both alike. Prints the median main-thread CPU per answered call of each (µs), the median of the
 * rounds' ratios (after / before) and each one's calls per second.
 *
 *   node bench/gateway/ab.ts BEFORE_DIR [AFTER_DIR=this checkout] [--mode plain|hit|stream]
 *     [--seconds 4] [--rounds 5]
 *
 * A checkout to compare against: `git worktree add /tmp/before main` (it needs node_modules:
 * `ln -s "$PWD/node_modules" /tmp/before/`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuMs } from "./cpu.ts";
import { closedLoop, type Target } from "./load.ts";
import { createToken, root, start, startGateway, stopAll } from "./processes.ts";
import { median } from "./targets.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: "string", default: "plain" },
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "5" },
  },
});
const [before, after = root] = positionals;
if (!before) throw new Error("usage: node bench/gateway/ab.ts BEFORE_DIR [AFTER_DIR]");
const { mode } = values;

const dir = mkdtempSync(join(tmpdir(), "officellm-ab-"));
try {
  const fake = await start(["bench/gateway/fake-upstream.ts"], {}, (l) => JSON.parse(l).url);
  const gateway = async (checkout: string, name: string) => {
    const databaseUrl = `sqlite:${join(dir, `${name}.db`)}`;
    const token = createToken(databaseUrl, "llm", checkout);
    const env = {
      DATABASE_URL: databaseUrl,
      OPENAI_API_KEY: "sk-bench-key",
      OPENAI_BASE_URL: `${fake.url}/v1`,
      LOG_LEVEL: "info",
      REDIS_URL: "",
    };
    const { child, url } = await startGateway(env, join(dir, `${name}.log`), checkout);
    const target: Target = {
      url,
      path: "/api/v1/completions",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        model: "gpt-4.1-mini",
        prompt: "Summarise the quarter in one line.",
        temperature: 0.7,
        cache: mode === "hit",
        stream: mode === "stream",
      }),
    };
    return { pid: child.pid!, target, mainUs: [] as number[], rps: [] as number[] };
  };
  const sides = [await gateway(before, "before"), await gateway(after, "after")] as const;
  for (const side of sides) await closedLoop(side.target, 10, 3);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const side of sides) {
      const cpu = cpuMs(side.pid);
      const loop = await closedLoop(side.target, 50, Number(values.seconds));
      side.mainUs.push(((cpuMs(side.pid).main - cpu.main) * 1000) / loop.requests);
      side.rps.push(loop.requestsPerSecond);
    }
  }
  const [a, b] = sides;
  const ratios = b.mainUs.map((us, round) => us / a.mainUs[round]!);
  console.log(
    `${mode}: main-thread CPU per call, before ${median(a.mainUs).toFixed(0)} µs, after ${median(b.mainUs).toFixed(0)} µs; ` +
      `after / before ${median(ratios).toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(", ")}); ` +
      `calls/s before ${median(a.rps).toFixed(0)}, after ${median(b.rps).toFixed(0)}`,
  );
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
