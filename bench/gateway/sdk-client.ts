/**
 * Child process: the official `openai` SDK alone, as the gateway's OpenAI provider configures it
 * (its keep-alive fetch, no SDK retries), calling the fake provider in a closed loop. No server
 * side at all: its calls per second are the ceiling for any gateway that calls providers through
 * the SDK on this machine. For scale, the same request is also made through the same keep-alive
 * fetch without the SDK (the body written and the answer parsed by hand).
 *
 * Prints one JSON line: the SDK's calls per second in the closed loop (`callsPerSecond`); this
 * process's CPU time per call in it (`cpuUsPerCall`, all threads, and `mainCpuUsPerCall`), the
 * same for the fetch alone (`fetchCpuUsPerCall`, `fetchMainCpuUsPerCall`), and the p50 of
 * sequential SDK calls (`p50Ms`, the latency it adds).
 *
 *   UPSTREAM_URL=http://127.0.0.1:PORT node bench/gateway/sdk-client.ts SECONDS CONNECTIONS
 */
import OpenAI from "openai";
import { createKeepAliveFetch } from "../../server/llm/providers/shared/keep-alive-fetch.ts";
import { cpuMs } from "./cpu.ts";
import { summarize } from "./load.ts";

const [seconds = 5, connections = 50] = process.argv.slice(2).map(Number);
const baseUrl = `${process.env.UPSTREAM_URL}/v1`;
const fetch = createKeepAliveFetch();
const client = new OpenAI({ apiKey: "sk-bench-key", baseURL: baseUrl, maxRetries: 0, fetch });
const body = {
  model: "gpt-4.1-mini",
  messages: [{ role: "user" as const, content: "Summarise the quarter in one line." }],
  temperature: 0.7,
};

const viaSdk = () =>
  client.chat.completions.create(body, { timeout: 60_000, signal: new AbortController().signal });

const viaFetch = async () => {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer sk-bench-key", "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: new AbortController().signal,
  });
  return response.json();
};

/** `connections` callers back to back for `ms`: calls per second and CPU time per call (µs). */
async function closedLoop(call: () => Promise<unknown>, ms: number) {
  const end = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  const cpuBefore = cpuMs(process.pid);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        await call();
        done++;
      }
    }),
  );
  const cpu = cpuMs(process.pid);
  return {
    callsPerSecond: done / ((performance.now() - started) / 1000),
    cpuUsPerCall: ((cpu.all - cpuBefore.all) * 1000) / done,
    mainCpuUsPerCall: ((cpu.main - cpuBefore.main) * 1000) / done,
  };
}

// Warm up the JIT and the connection pool, as long as the gateway is warmed (bench/gateway/run.ts).
await closedLoop(viaSdk, 3000);
await closedLoop(viaFetch, 1000);

const sequential: number[] = [];
for (let i = 0; i < 300; i++) {
  const started = performance.now();
  await viaSdk();
  sequential.push(performance.now() - started);
}

const sdk = await closedLoop(viaSdk, seconds * 1000);
const alone = await closedLoop(viaFetch, seconds * 1000);
process.stdout.write(
  `${JSON.stringify({
    ...sdk,
    fetchCpuUsPerCall: alone.cpuUsPerCall,
    fetchMainCpuUsPerCall: alone.mainCpuUsPerCall,
    p50Ms: summarize(sequential, 0).p50,
  })}\n`,
);
