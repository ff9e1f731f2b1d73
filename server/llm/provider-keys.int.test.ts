/**
 * Several keys per provider (OPENAI_API_KEYS, ANTHROPIC_API_KEYS, OPENAI_COMPATIBLE_BASE_URLS):
 * calls spread over the keys, a key that answers 401 or 429 is set aside and the call goes on to
 * the next, each key's use shows in the ledger and the metrics by the operator's label, and no key
 * ever shows in a response, a log line or a metric. Driven by the official `openai` client over
 * real HTTP; the providers are one fake that answers by the key each request carries, and two
 * fake local servers.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { createGateway } from "./gateway.ts";
import {
  startFakeProvider,
  type FakeBehaviour,
  type FakeProvider,
  type RecordedRequest,
} from "../test/fake-provider.ts";
import { LogCapture, startTestServer, TestClock, type TestServer } from "../test/harness.ts";
import { uniquePrompt } from "../test/llm-rig.ts";
import { TestSleep } from "../test/test-sleep.ts";

const OPENAI_ALPHA = "sk-pool-alpha-5d1e8c3f9b2a7e4d6c0b";
const OPENAI_BETA = "sk-pool-beta-9a4f2c7e1d8b3a6f5e0c";
const ANTHROPIC_ALPHA = "sk-ant-pool-alpha-2b7d9e4c1a8f3e6d";
const ANTHROPIC_BETA = "sk-ant-pool-beta-7c3e1f8a5d2b9c4e";
const KEYS = [OPENAI_ALPHA, OPENAI_BETA, ANTHROPIC_ALPHA, ANTHROPIC_BETA];
const METRICS_TOKEN = "metrics-scraper-secret-6f1c9a2e8b4d7f3a0c5e";
const REFUSED_SECONDS = 600;

/** The key a request to the fake carried, OpenAI's or Anthropic's way. */
function keyOf(request: RecordedRequest): string | undefined {
  const bearer = request.headers.authorization?.replace(/^Bearer /, "");
  const apiKey = request.headers["x-api-key"];
  return bearer ?? (typeof apiKey === "string" ? apiKey : undefined);
}

describe("several keys per provider", () => {
  let fake: FakeProvider;
  let server: TestServer;
  const clock = new TestClock();
  const sleep = new TestSleep();
  const gatewayLogs = new LogCapture();
  /** What each key answers instead of the default answer, while set. */
  const answers = new Map<string, FakeBehaviour>();
  /** Every response body and error message the callers saw. */
  const seen: string[] = [];
  let user: { id: string; token: string };
  const client = () =>
    new OpenAI({ apiKey: user.token, baseURL: `${server.url}/v1`, maxRetries: 0 });

  const ask = async (model = "gpt-4.1-mini") => {
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("pool") }],
    });
    seen.push(JSON.stringify(completion));
    return completion;
  };
  const keysAsked = (since: number) => fake.requests.slice(since).map(keyOf);
  const refusedBy = (key: string): FakeBehaviour => ({
    status: 401,
    // As OpenAI does: the refusal repeats (part of) the key it was given.
    message: `Incorrect API key provided: ${key}. You can find your API key at the dashboard.`,
  });

  beforeAll(async () => {
    fake = await startFakeProvider();
    fake.setResponder((call) => answers.get(keyOf(call.request) ?? ""));
    const env = {
      OPENAI_API_KEYS: `alpha:${OPENAI_ALPHA},beta:${OPENAI_BETA}`,
      OPENAI_BASE_URL: fake.openaiBaseUrl,
      ANTHROPIC_API_KEYS: `alpha:${ANTHROPIC_ALPHA}, beta:${ANTHROPIC_BETA}`,
      ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
      PROVIDER_KEY_REFUSED_COOLDOWN_SECONDS: String(REFUSED_SECONDS),
      METRICS_TOKEN,
      RATE_LIMIT_RPM: "100000",
      LOG_LEVEL: "trace",
    };
    const config = loadConfig(env);
    const gateway = await createGateway(config, {
      logger: createLogger(config, gatewayLogs),
      clock,
    });
    server = await startTestServer({ env, gateway, clock, sleep: sleep.sleep });
    user = await server.token({ name: "pool", scopes: ["llm"] });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });
  beforeEach(() => {
    answers.clear();
    // Every key set aside by an earlier test is back.
    clock.advance((REFUSED_SECONDS + 1) * 1000);
  });

  it("spreads calls over the keys, and the ledger names the key of each", async () => {
    const before = fake.requests.length;
    const rowsBefore = (await server.store.usage.listForToken(user.id)).length;
    for (let i = 0; i < 4; i++) await ask();
    const asked = keysAsked(before);
    expect(asked.filter((key) => key === OPENAI_ALPHA)).toHaveLength(2);
    expect(asked.filter((key) => key === OPENAI_BETA)).toHaveLength(2);
    const rows = (await server.store.usage.listForToken(user.id)).slice(rowsBefore);
    expect(rows.map((row) => row.key_label).sort()).toEqual(["alpha", "alpha", "beta", "beta"]);
  });

  it("spreads Anthropic's calls over its keys too", async () => {
    const before = fake.requests.length;
    for (let i = 0; i < 2; i++) await ask("claude-haiku-4-5");
    expect(keysAsked(before).sort()).toEqual([ANTHROPIC_ALPHA, ANTHROPIC_BETA].sort());
  });

  it("sets a refused key aside and answers from the other, telling the operator once", async () => {
    answers.set(OPENAI_ALPHA, refusedBy(OPENAI_ALPHA));
    const before = fake.requests.length;
    const rowsBefore = (await server.store.usage.listForToken(user.id)).length;
    for (let i = 0; i < 4; i++) await ask();
    const asked = keysAsked(before);
    // Alpha is asked once at most in two calls' turns, then left alone.
    expect(asked.filter((key) => key === OPENAI_ALPHA)).toEqual([OPENAI_ALPHA]);
    expect(asked.filter((key) => key === OPENAI_BETA)).toHaveLength(4);
    const rows = (await server.store.usage.listForToken(user.id)).slice(rowsBefore);
    expect(rows.map((row) => [row.status, row.key_label])).toEqual(
      Array.from({ length: 4 }, () => ["ok", "beta"]),
    );
    const refusals = gatewayLogs
      .records()
      .filter((record) => record.code === "provider_key_refused");
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ provider: "openai", key: "alpha", status: 401 });
    // No wait before the next key: the failure was the key's, not the provider's.
    expect(sleep.asked.every((ms) => ms === 0)).toBe(true);
  });

  it("keeps a key that answered 429 aside for its Retry-After, then uses it again", async () => {
    answers.set(OPENAI_ALPHA, { status: 429, retryAfterSeconds: 30, message: "Slow down" });
    let before = fake.requests.length;
    for (let i = 0; i < 3; i++) await ask();
    expect(keysAsked(before).filter((key) => key === OPENAI_ALPHA)).toHaveLength(1);

    answers.clear();
    clock.advance(29_000);
    before = fake.requests.length;
    for (let i = 0; i < 2; i++) await ask();
    expect(keysAsked(before)).toEqual([OPENAI_BETA, OPENAI_BETA]);

    clock.advance(2_000);
    before = fake.requests.length;
    for (let i = 0; i < 2; i++) await ask();
    expect(keysAsked(before).sort()).toEqual([OPENAI_ALPHA, OPENAI_BETA]);
  });

  it("keeps using a key that answered 403 to one request: the refusal is the request's", async () => {
    // A 403 may be this request's alone (a model the key's project may not use): setting the key
    // aside would let one caller take every key away from everyone.
    answers.set(OPENAI_ALPHA, { status: 403, message: "This project may not use the model." });
    const refused: unknown[] = [];
    for (let i = 0; i < 2; i++) await ask().catch((error: unknown) => refused.push(error));
    expect(refused).toHaveLength(1);
    answers.clear();
    const before = fake.requests.length;
    for (let i = 0; i < 2; i++) await ask();
    expect(keysAsked(before).sort()).toEqual([OPENAI_ALPHA, OPENAI_BETA]);
    expect(
      gatewayLogs.records().filter((r) => r.code === "provider_key_refused" && r.status === 403),
    ).toEqual([]);
  });

  it("sets aside a key whose account is out of credit as refused, not for a while", async () => {
    answers.set(OPENAI_ALPHA, {
      status: 429,
      code: "insufficient_quota",
      message: "You exceeded your current quota, please check your plan and billing details.",
    });
    const before = fake.requests.length;
    for (let i = 0; i < 3; i++) await ask();
    expect(keysAsked(before).filter((key) => key === OPENAI_ALPHA)).toHaveLength(1);
    answers.clear();
    // Past the 429 cool-down, short of the refusal's: still aside.
    clock.advance(120_000);
    const later = fake.requests.length;
    for (let i = 0; i < 2; i++) await ask();
    expect(keysAsked(later)).toEqual([OPENAI_BETA, OPENAI_BETA]);
  });

  it("moves a stream that a key refuses on to the next key", async () => {
    answers.set(OPENAI_ALPHA, refusedBy(OPENAI_ALPHA));
    const rowsBefore = (await server.store.usage.listForToken(user.id)).length;
    for (let i = 0; i < 2; i++) {
      const stream = await client().chat.completions.create({
        model: "gpt-4.1-mini",
        messages: [{ role: "user", content: uniquePrompt("streamed") }],
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      seen.push(text);
      expect(text).toMatch(/^echo: streamed/);
    }
    const rows = (await server.store.usage.listForToken(user.id)).slice(rowsBefore);
    expect(rows.map((row) => row.key_label)).toEqual(["beta", "beta"]);
  });

  it("gives the usual error once every key is refused, and stops asking", async () => {
    answers.set(OPENAI_ALPHA, refusedBy(OPENAI_ALPHA));
    answers.set(OPENAI_BETA, refusedBy(OPENAI_BETA));
    const failure = await ask().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const error = failure as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(502);
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("refused this server's credentials");
    seen.push(error.message, JSON.stringify(error.error));

    const before = fake.requests.length;
    const again = await ask().then(
      () => undefined,
      (failed: unknown) => failed as InstanceType<typeof OpenAI.APIError>,
    );
    expect(again?.code).toBe("upstream_error");
    expect(fake.requests.length).toBe(before);
  });

  it("counts each key's attempts in the metrics by its label, never its key", async () => {
    const response = await server.fetch("/metrics", {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    const series = (key: string, outcome: string) =>
      text
        .split("\n")
        .find((line) =>
          line.startsWith(
            `officellm_provider_key_attempts_total{provider="openai",key="${key}",outcome="${outcome}"} `,
          ),
        );
    expect(series("alpha", "ok")).toBeDefined();
    expect(series("beta", "ok")).toBeDefined();
    expect(series("alpha", "refused")).toBeDefined();
    expect(series("alpha", "rate_limited")).toMatch(/ 1$/);
    for (const key of KEYS) expect(text).not.toContain(key);
  });

  it("never shows a key in a response, an error or a log line", () => {
    const everything = [...seen, server.logs.text, gatewayLogs.text];
    expect(gatewayLogs.text).toContain("provider key refused");
    for (const text of everything) {
      for (const key of KEYS) expect(text).not.toContain(key);
    }
  });
});

describe("several local servers", () => {
  let gpu1: FakeProvider;
  let gpu2: FakeProvider;
  let server: TestServer;

  beforeAll(async () => {
    gpu1 = await startFakeProvider({ models: ["local-a"] });
    gpu2 = await startFakeProvider({ models: ["local-a"] });
    const env = {
      OPENAI_COMPATIBLE_BASE_URLS: `gpu1:${gpu1.openaiBaseUrl},gpu2:${gpu2.openaiBaseUrl}`,
      RATE_LIMIT_RPM: "100000",
    };
    server = await startTestServer({ env, gateway: await createGateway(loadConfig(env)) });
  });
  afterAll(async () => {
    await server?.close();
    await gpu1?.close();
    await gpu2?.close();
  });

  /** Four calls of a new caller's, each answered; the caller's ledger rows after. */
  async function fourCalls() {
    const user = await server.token({ scopes: ["llm"] });
    const client = new OpenAI({ apiKey: user.token, baseURL: `${server.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 4; i++) {
      await client.chat.completions.create({
        model: "local-a",
        messages: [{ role: "user", content: uniquePrompt("local") }],
      });
    }
    return server.store.usage.listForToken(user.id);
  }

  it("spreads calls over the servers, and the ledger names the server of each", async () => {
    const rows = await fourCalls();
    expect(gpu1.calls).toHaveLength(2);
    expect(gpu2.calls).toHaveLength(2);
    expect(rows.map((row) => row.key_label).sort()).toEqual(["gpu1", "gpu1", "gpu2", "gpu2"]);
  });

  it("passes a server that cannot be reached over, the call going at once to the other", async () => {
    // Every connection to gpu2 is reset, as to a server that went away.
    gpu2.setResponder(() => ({ reset: true }));
    const [gpu1Before, gpu2Before] = [gpu1.calls.length, gpu2.requests.length];
    const rows = await fourCalls();
    // Tried once, then passed over: not every other call, as the least busy server.
    expect(gpu2.requests.length - gpu2Before).toBe(1);
    expect(gpu1.calls.length - gpu1Before).toBe(4);
    expect(rows.map((row) => [row.status, row.key_label])).toEqual(
      Array.from({ length: 4 }, () => ["ok", "gpu1"]),
    );
  });
});
