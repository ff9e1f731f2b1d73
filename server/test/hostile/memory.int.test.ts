/**
 * The memory test: what callers send cannot grow the server's memory without bound. After
 * 10,000 distinct JSON Schemas through completions (the demo provider compiles and checks each)
 * and 100 large answers cached, the heap after a full collection is within 50 MB of where it
 * started. Both servers run in this process, so the process's heap is theirs.
 *
 * The servers run on the default settings: the response cache may hold CACHE_MAX_BYTES of
 * answers, 32 MB, so that a cache bounded by its bytes fits in the allowance and one bounded only
 * by its count (here 100 MB of answers) does not.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../config.ts";
import { createGateway } from "../../llm/gateway.ts";
import { api } from "../api.ts";
import { heapAfterGc } from "../event-loop.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider.ts";
import { startTestServer, type TestServer } from "../harness.ts";
import { ANTHROPIC_KEY, OPENAI_KEY } from "../llm-rig.ts";

const ALLOWANCE_MB = 50;
const SCHEMAS = 10_000;
const LARGE_ANSWERS = 100;
const LARGE_ANSWER_BYTES = 1024 * 1024;
/** Requests in flight at once, as several add-ins would send them. */
const CONCURRENCY = 8;

const settings = { RATE_LIMIT_RPM: "1000000", LOG_LEVEL: "warn" };

let demo: TestServer;
let keyed: TestServer;
let fake: FakeProvider;
let demoToken: string;
let keyedToken: string;

beforeAll(async () => {
  demo = await startTestServer({ env: settings });
  fake = await startFakeProvider({ record: false });
  const env = {
    ...settings,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
  };
  keyed = await startTestServer({ env, gateway: await createGateway(loadConfig(env)) });
  // Every answer is large, and differs by prompt, as a long generated report would.
  fake.setResponder((call) => ({
    text: `${call.lastUserText} ${"x".repeat(LARGE_ANSWER_BYTES)}`,
  }));
  ({ token: demoToken } = await demo.token({ scopes: ["llm"] }));
  ({ token: keyedToken } = await keyed.token({ scopes: ["llm"] }));
});
afterAll(async () => {
  await demo?.close();
  await keyed?.close();
  await fake?.close();
});

/** A schema no other request sends: ten fields whose names and bounds depend on `n`. */
function distinctSchema(n: number): Record<string, unknown> {
  const properties = Object.fromEntries(
    Array.from({ length: 10 }, (_, field) => [
      `field_${n}_${field}`,
      field % 2 === 0
        ? { type: "string", maxLength: 20 + ((n + field) % 50) }
        : { type: "integer", minimum: field, maximum: 1000 + n },
    ]),
  );
  return { type: "object", properties, required: [`field_${n}_0`] };
}

async function schemaCompletion(n: number): Promise<number> {
  const reply = await api(demo, demoToken, "POST", "/api/v1/completions", {
    prompt: `Fill in form ${n}`,
    cache: false,
    responseFormat: { type: "json", schema: distinctSchema(n) },
  });
  return reply.status;
}

async function largeAnswer(n: number): Promise<{ status: number; cached: boolean }> {
  const reply = await api<{ cached: boolean }>(keyed, keyedToken, "POST", "/api/v1/completions", {
    model: "gpt-4.1-mini",
    prompt: `Write report ${n}`,
    temperature: 0,
    cache: true,
  });
  return { status: reply.status, cached: reply.body?.cached ?? false };
}

/** Runs `task` for `from`…`to - 1`, `CONCURRENCY` at a time; returns each result's status. */
async function inParallel<T>(from: number, to: number, task: (n: number) => Promise<T>) {
  const results: T[] = [];
  let next = from;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < to) results.push(await task(next++));
    }),
  );
  return results;
}

/** The heap in use after full collections, in MB. */
async function heapAfterFullGc(): Promise<number> {
  // Collections on separate turns, so that what a finished request let go of is free.
  for (let round = 0; round < 2; round++) {
    heapAfterGc();
    await nextTurn();
  }
  return heapAfterGc() / 1024 / 1024;
}

describe("memory stays bounded whatever callers send", () => {
  it(`grows the heap by less than ${ALLOWANCE_MB} MB over ${SCHEMAS} distinct schemas and ${LARGE_ANSWERS} large cached answers`, async () => {
    // Warm up first, so that the baseline already holds the code, statements and pools a
    // running server keeps.
    await inParallel(SCHEMAS, SCHEMAS + 200, schemaCompletion);
    await inParallel(LARGE_ANSWERS, LARGE_ANSWERS + 5, largeAnswer);
    const before = await heapAfterFullGc();

    const schemaStatuses = await inParallel(0, SCHEMAS, schemaCompletion);
    expect(schemaStatuses.filter((status) => status === 200)).toHaveLength(SCHEMAS);
    const answers = await inParallel(0, LARGE_ANSWERS, largeAnswer);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(LARGE_ANSWERS);
    // The cache really holds large answers: the last one is served from it.
    expect(await largeAnswer(LARGE_ANSWERS - 1)).toEqual({ status: 200, cached: true });

    const after = await heapAfterFullGc();
    expect(
      after - before,
      `heap ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`,
    ).toBeLessThan(ALLOWANCE_MB);
  }, 180_000);
});
