/// <reference types="office-runtime" />
// The custom functions' runtime, which the engine's error helpers name: a global declaration.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../addin/src/functions/custom-functions-runtime.d.ts" />
/**
 * The Excel stand-in's timing figures (issue 12): a sheet of `--cells` =LLM.PROMPT cells over
 * `--distinct` prompts, answered by the custom functions' engine against the real backend over
 * real HTTP, whose provider (the fake, behind the official OpenAI SDK) takes `--latency-ms` per
 * answer, with the default provider slots and token turns. While the fill runs, a second user
 * asks for one cell. Prints the provider calls, the fill's wall time against its lower bound, and
 * the second user's wait against one provider latency.
 *
 *   npm run bench:excel [-- --latency-ms 5000 --cells 1000 --distinct 500]
 */
import { parseArgs } from "node:util";
import { LlmEngine, type LlmRequest } from "../../addin/src/functions/engine.ts";
import { saveConnection } from "../../addin/src/shared/connection.ts";
import { memoryStorage } from "../../addin/src/shared/storage.ts";
import { loadConfig } from "../../server/config.ts";
import { createGateway } from "../../server/llm/gateway.ts";
import { startFakeProvider } from "../../server/test/fake-provider.ts";
import { startTestServer } from "../../server/test/harness.ts";

const { values } = parseArgs({
  options: {
    "latency-ms": { type: "string", default: "5000" },
    cells: { type: "string", default: "1000" },
    distinct: { type: "string", default: "500" },
  },
});
const latencyMs = Number(values["latency-ms"]);
const cells = Number(values.cells);
const distinct = Number(values.distinct);

const fake = await startFakeProvider({ latencyMs });
const env = {
  OPENAI_API_KEY: "sk-bench",
  OPENAI_BASE_URL: fake.openaiBaseUrl,
  DEFAULT_MODEL: "gpt-4.1-mini",
  RATE_LIMIT_RPM: "100000",
  LOG_LEVEL: "warn",
};
const server = await startTestServer({ env, gateway: await createGateway(loadConfig(env)) });
const config = server.config;

/** An engine as a user's Excel has it: its own storage, its own token. */
async function excelOf(name: string): Promise<LlmEngine> {
  const storage = memoryStorage();
  const { token } = await server.token({ name, scopes: ["llm"] });
  await saveConnection(storage, { baseUrl: server.url, token });
  return new LlmEngine({ storage });
}

/** What =LLM.PROMPT(text) asks: a prompt at temperature 0. */
const cell = (text: string): LlmRequest => ({ prompt: text, temperature: 0 });

const filler = await excelOf("filler");
const neighbour = await excelOf("neighbour");
const started = performance.now();
const fill = Promise.all(
  Array.from({ length: cells }, (_, i) => filler.ask(cell(`Bench question ${i % distinct}`))),
);
// The neighbour asks once the fill has the provider busy: a tenth of the way into its bound.
const slotsForOne = Math.min(config.llm.providerConcurrency, config.limits.inFlightPerToken);
const boundMs = Math.ceil(distinct / slotsForOne) * latencyMs;
await new Promise((resolve) => setTimeout(resolve, Math.min(boundMs / 10, 30_000)));
const asked = performance.now();
await neighbour.ask(cell("The neighbour's one question"));
const neighbourWaitMs = performance.now() - asked;
await fill;
const wallMs = performance.now() - started;
const calls = fake.calls.length;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const allSlotsBoundMs = Math.ceil(distinct / config.llm.providerConcurrency) * latencyMs;
console.log(
  [
    `cells ${cells}, distinct prompts ${distinct}, provider latency ${seconds(latencyMs)}`,
    `provider slots ${config.llm.providerConcurrency}, token turns ${config.limits.inFlightPerToken}`,
    `provider calls: ${calls} (${calls - 1 - distinct} more than one per distinct prompt, the neighbour's excluded)`,
    `fill wall time: ${seconds(wallMs)}`,
    `  lower bound with one token's ${slotsForOne} calls at once: ${seconds(boundMs)} → ${(wallMs / boundMs).toFixed(3)}× (target ≤ 1.15×)`,
    `  lower bound with every provider slot: ${seconds(allSlotsBoundMs)} → ${(wallMs / allSlotsBoundMs).toFixed(3)}×`,
    `second user's single cell, during the fill: ${seconds(neighbourWaitMs)} → ${(neighbourWaitMs / latencyMs).toFixed(2)}× one provider latency`,
  ].join("\n"),
);
await server.close();
await fake.close();
