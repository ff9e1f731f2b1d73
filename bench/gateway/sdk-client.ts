/**
 * Child process: the official `openai` SDK alone, as the gateway's OpenAI provider configures it
 * (its keep-alive fetch, no SDK retries), calling the fake provider in a closed loop. No server
 * side at all: its calls per second are the ceiling for any gateway that calls providers through
 * the SDK on this machine. Prints one JSON line: { callsPerSecond, cpuUsPerCall, p50Ms }: the
 * closed loop's calls per second and this process's CPU time per call in it, and the p50 of
 * sequential calls, for the latency the SDK adds by itself.
 *
 *   UPSTREAM_URL=http://127.0.0.1:PORT node bench/gateway/sdk-client.ts SECONDS CONNECTIONS
 */
import OpenAI from "openai";
import { createKeepAliveFetch } from "../../server/llm/providers/keep-alive-fetch.ts";
import { summarize } from "./load.ts";

const [seconds = 5, connections = 50] = process.argv.slice(2).map(Number);
const client = new OpenAI({
  apiKey: "sk-bench-key",
  baseURL: `${process.env.UPSTREAM_URL}/v1`,
  maxRetries: 0,
  fetch: createKeepAliveFetch(),
});
const call = () =>
  client.chat.completions.create(
    {
      model: "gpt-4.1-mini",
      messages: [{ role: "user", content: "Summarise the quarter in one line." }],
      temperature: 0.7,
    },
    { timeout: 60_000, signal: new AbortController().signal },
  );

// Warm up the JIT and the connection pool, as long as the gateway is warmed (bench/gateway/run.ts).
const warm = performance.now() + 3000;
await Promise.all(
  Array.from({ length: 10 }, async () => {
    while (performance.now() < warm) await call();
  }),
);

const sequential: number[] = [];
for (let i = 0; i < 300; i++) {
  const started = performance.now();
  await call();
  sequential.push(performance.now() - started);
}

const end = performance.now() + seconds * 1000;
let done = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      await call();
      done++;
    }
  }),
);
const callsPerSecond = done / ((performance.now() - started) / 1000);
const cpu = process.cpuUsage(cpuBefore);
const cpuUsPerCall = (cpu.user + cpu.system) / done;
process.stdout.write(
  `${JSON.stringify({ callsPerSecond, cpuUsPerCall, p50Ms: summarize(sequential, 0).p50 })}\n`,
);
