/**
 * A burst of answers completing together, and what it does to the event loop:
 *
 * - `--mode schemas` (the default): the stall guard's batch (server/test/hostile/stall-guard.int.test.ts),
 *   `--items` items of as many distinct JSON schemas, answered at once by the demo provider;
 * - `--mode job`: a job (POST /api/v1/jobs, as the Excel add-in sends cells) of `--items` distinct
 *   prompts, answered by the fake provider (behind the official OpenAI SDK) after
 *   `--provider-ms`, so that every answer comes back at about the same moment.
 *
 * `--in-flight` sets BATCH_MAX_IN_FLIGHT (the default's when not given). Prints, per round, the
 * event loop's longest block (wall time, and the main thread's CPU time in it, which the machine's
 * other work does not inflate), the process's CPU time per item and the wall time. Run it under
 * `node --cpu-prof` to see where each answer's time goes (bench/gateway/profile-summary.ts).
 *
 *   npm run bench:burst [-- --mode job --items 500 --provider-ms 2000 --rounds 3]
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../server/config.ts";
import { createGateway } from "../../server/llm/gateway.ts";
import { longestStall } from "../../server/test/event-loop.ts";
import { startFakeProvider } from "../../server/test/fake-provider.ts";
import { distinctSchemaItems } from "../../server/test/form-batch.ts";
import { startTestServer } from "../../server/test/harness.ts";

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "schemas" },
    "in-flight": { type: "string" },
    items: { type: "string", default: "500" },
    "provider-ms": { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
  },
});
const itemCount = Number(values.items);
const jobMode = values.mode === "job";
const fake = jobMode
  ? await startFakeProvider({ latencyMs: Number(values["provider-ms"]) })
  : undefined;
const env: Record<string, string> = {
  RATE_LIMIT_RPM: "1000000",
  LOG_LEVEL: "info",
  ...(values["in-flight"] ? { BATCH_MAX_IN_FLIGHT: values["in-flight"] } : {}),
  ...(fake
    ? {
        OPENAI_API_KEY: "sk-bench",
        OPENAI_BASE_URL: fake.openaiBaseUrl,
        DEFAULT_MODEL: "gpt-4.1-mini",
      }
    : {}),
};
const server = await startTestServer({
  env,
  ...(fake ? { gateway: await createGateway(loadConfig(env)) } : {}),
});
const { token } = await server.token({ scopes: ["llm"] });

/** As Excel's cells: distinct prompts at temperature 0. */
const promptItems = (salt: string) =>
  Array.from({ length: itemCount }, (_, item) => ({
    prompt: `${salt} question ${item}`,
    temperature: 0,
  }));

const post = (path: string, body: unknown) =>
  server.fetch(path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Sends the round's items and waits for every result; resolves with the final status. */
async function round(salt: string): Promise<number> {
  if (!jobMode) {
    const response = await post("/api/v1/batch", { items: distinctSchemaItems(salt, itemCount) });
    await response.arrayBuffer();
    return response.status;
  }
  const response = await post("/api/v1/jobs", { items: promptItems(salt) });
  const { id } = (await response.json()) as { id: string };
  // A long poll for the results not seen yet, as the add-in's engine follows a job.
  for (let seen = 0; ;) {
    const polled = await server.fetch(`/api/v1/jobs/${id}?after=${seen}&wait=10`, { token });
    const job = (await polled.json()) as { status: string; results: unknown[] };
    seen += job.results.length;
    if (job.status !== "running") return polled.status;
  }
}

/**
 * The event loop's longest block in the main thread's own CPU time, which the machine's other
 * work does not inflate: the most CPU time the thread spent between two ticks of a 5 ms timer.
 */
async function longestCpuBlock<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  let last = process.threadCpuUsage();
  let longest = 0;
  const timer = setInterval(() => {
    const now = process.threadCpuUsage();
    longest = Math.max(longest, now.user + now.system - last.user - last.system);
    last = now;
  }, 5);
  try {
    return { result: await work(), cpuMs: longest / 1000 };
  } finally {
    clearInterval(timer);
  }
}

console.log(
  `mode ${jobMode ? "job" : "schemas"}, items ${itemCount}, in flight ${server.config.limits.batchInFlight}`,
);
for (let index = 1; index <= Number(values.rounds); index++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const {
    result: { result: status, cpuMs },
    stallMs,
  } = await longestStall(() => longestCpuBlock(() => round(`round-${index}-${Date.now()}`)));
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  console.log(
    `round ${index}: status ${status}, longest block ${stallMs.toFixed(0)} ms ` +
      `(${cpuMs.toFixed(0)} ms of main-thread CPU), ` +
      `CPU ${((user + system) / itemCount).toFixed(0)} µs per item, wall ${wallMs.toFixed(0)} ms`,
  );
}
await server.close();
await fake?.close();
