/**
 * The response cache and single-flight, end to end: identical calls are answered once upstream,
 * replays are marked and recorded at no cost, `cache: false` always goes upstream, and the cache
 * (in memory, or in Redis with REDIS_URL) keeps within CACHE_MAX_BYTES.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  catalogNanoUsd,
  expectNoKeys,
  fakeUsage,
  ledger,
  ledgerWithin,
  parseSse,
  providerCases,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type ErrorBody,
  type Rig,
} from "../../test/llm-rig.ts";

let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  expectNoKeys([...rig.seen, rig.server.logs.text]);
  await rig.close();
});
beforeEach(() => rig.fake.reset());

describe.each(providerCases)("response cache with $provider ($model)", (c) => {
  const complete = (token: string, body: Record<string, unknown>) =>
    rig.post<CompletionBody>("/api/v1/completions", token, { model: c.model, ...body });

  it("answers a second identical call at temperature 0 from the cache, free and marked", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("Capital of France?");
    const first = await complete(token, { prompt, temperature: 0 });
    expect(first.status, first.text).toBe(200);
    expect(first.body.cached).toBe(false);
    expect(first.headers.get("x-officellm-cache")).toBe("miss");

    const second = await complete(token, { prompt, temperature: 0 });
    expect(second.status, second.text).toBe(200);
    expect(rig.fake.requests).toHaveLength(1);
    expect(second.body).toMatchObject({
      cached: true,
      text: first.body.text,
      model: c.model,
      provider: c.provider,
      usage: { costUsd: 0 },
    });
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.headers.get("x-officellm-cache")).toBe("hit");
    expect(second.headers.get("x-officellm-provider")).toBe(c.provider);

    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(2);
    const usage = fakeUsage(prompt, `echo: ${prompt}`);
    expect(rows[0]).toMatchObject({ cached: 0, status: "ok" });
    expect(rows[0]!.cost_nano_usd).toBe(
      catalogNanoUsd(c.model, usage.inputTokens, usage.outputTokens),
    );
    expect(rows[1]).toMatchObject({
      cached: 1,
      status: "ok",
      cost_nano_usd: 0,
      error_code: null,
      provider: c.provider,
      model: c.model,
      request_id: second.headers.get("x-request-id"),
    });
  });

  it("goes upstream every time with `cache: false`, and bills each call", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("Fresh answer please");
    await complete(token, { prompt, temperature: 0 });
    const bypass = await complete(token, { prompt, temperature: 0, cache: false });
    expect(bypass.status).toBe(200);
    expect(bypass.body.cached).toBe(false);
    expect(bypass.headers.get("x-officellm-cache")).toBe("miss");
    expect(bypass.body.usage.costUsd).toBeGreaterThan(0);
    expect(rig.fake.requests).toHaveLength(2);
    const rows = await ledger(rig, id);
    expect(rows.map((row) => row.cached)).toEqual([0, 0]);
    expect(rows.every((row) => row.cost_nano_usd > 0)).toBe(true);
  });

  it("does not cache a call at a non-zero temperature unless asked to", async () => {
    const { token } = await rig.token();
    const prompt = uniquePrompt("Write a poem");
    await complete(token, { prompt, temperature: 0.7 });
    const again = await complete(token, { prompt, temperature: 0.7 });
    expect(again.body.cached).toBe(false);
    expect(rig.fake.requests).toHaveLength(2);

    const opted = uniquePrompt("Write a cached poem");
    await complete(token, { prompt: opted, temperature: 0.7, cache: true });
    const hit = await complete(token, { prompt: opted, temperature: 0.7, cache: true });
    expect(hit.body.cached).toBe(true);
    expect(rig.fake.requests).toHaveLength(3);
  });

  it("keeps calls with different parameters apart", async () => {
    const { token } = await rig.token();
    const prompt = uniquePrompt("Parameters matter");
    await complete(token, { prompt, temperature: 0 });
    const other = await complete(token, { prompt, temperature: 0, maxTokens: 20 });
    const system = await complete(token, { prompt, temperature: 0, system: "Be terse." });
    expect(other.body.cached).toBe(false);
    expect(system.body.cached).toBe(false);
    expect(rig.fake.requests).toHaveLength(3);
  });

  it("replays a structured answer with its json", async () => {
    const { token } = await rig.token();
    const schema = {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    };
    const prompt = uniquePrompt("Which city?");
    const body = { prompt, temperature: 0, responseFormat: { type: "json", schema } };
    const first = await complete(token, body);
    const second = await complete(token, body);
    expect(second.status).toBe(200);
    expect(second.body.cached).toBe(true);
    expect(second.body.json).toEqual(first.body.json);
    expect(second.body.json).toEqual({ city: `echo: ${prompt}` });
    expect(rig.fake.requests).toHaveLength(1);
  });

  it("shares the cache between streamed and plain calls", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("Streamed first");
    const streamed = await complete(token, { prompt, temperature: 0, stream: true });
    expect(parseSse(streamed.text).at(-1)!.event).toBe("done");
    const plain = await complete(token, { prompt, temperature: 0 });
    expect(plain.body).toMatchObject({ cached: true, text: `echo: ${prompt}` });

    const replayed = await complete(token, { prompt, temperature: 0, stream: true });
    expect(replayed.headers.get("x-officellm-cache")).toBe("hit");
    const events = parseSse(replayed.text);
    expect(events.map((e) => e.event)).toEqual(["delta", "done"]);
    expect(events[0]!.data).toEqual({ text: `echo: ${prompt}` });
    expect(events[1]!.data).toMatchObject({ cached: true, usage: { costUsd: 0 } });
    expect(rig.fake.requests).toHaveLength(1);
    const rows = await ledger(rig, id);
    expect(rows.map((row) => [row.cached, row.cost_nano_usd > 0])).toEqual([
      [0, true],
      [1, false],
      [1, false],
    ]);
  });

  it("does not cache a failure", async () => {
    const { token } = await rig.token();
    const prompt = uniquePrompt("Fails once");
    rig.fake.enqueue({ status: 400, message: "Bad request (fake)." });
    const failed = await complete(token, { prompt, temperature: 0 });
    expect(failed.status).toBe(502);
    const retried = await complete(token, { prompt, temperature: 0 });
    expect(retried.status).toBe(200);
    expect(retried.body.cached).toBe(false);
    expect(rig.fake.requests).toHaveLength(2);
  });
});

/** A gate: a promise, and the function that opens it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves once `count` callers wait for a shared call. */
const waitersReach = (count: number) =>
  vi.waitFor(() => expect(rig.flights.waiting).toBe(count), { timeout: 20_000, interval: 5 });

describe.each(providerCases)("single-flight with $provider ($model)", (c) => {
  /**
   * Sends `count` identical calls at temperature 0 while the upstream answer is held, and lets
   * it go once all of them wait for the one shared call; resolves with their replies.
   */
  const askTogether = async <T>(
    token: string,
    count: number,
    upstream: ReturnType<typeof gate>,
    body: Record<string, unknown>,
  ) => {
    const pending = Promise.all(
      Array.from({ length: count }, () =>
        rig.post<T>("/api/v1/completions", token, { model: c.model, temperature: 0, ...body }),
      ),
    );
    await waitersReach(count);
    upstream.open();
    return pending;
  };

  it("answers 20 concurrent identical calls with one upstream call, billed once", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("Everyone asks this");
    // The upstream answer is held until all 20 wait for it (any extra call would show).
    const upstream = gate();
    rig.fake.setResponder((call) => ({ text: `slow ${call.lastUserText}`, gate: upstream.opened }));
    const replies = await askTogether<CompletionBody>(token, 20, upstream, { prompt });
    expect(rig.fake.requests).toHaveLength(1);
    for (const reply of replies) {
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.text).toBe(`slow ${prompt}`);
    }
    const billed = replies.filter((reply) => !reply.body.cached);
    expect(billed).toHaveLength(1);
    expect(billed[0]!.body.usage.costUsd).toBeGreaterThan(0);
    expect(billed[0]!.headers.get("x-officellm-cache")).toBe("miss");
    const replays = replies.filter((reply) => reply.body.cached);
    expect(replays).toHaveLength(19);
    for (const reply of replays) {
      expect(reply.body.usage.costUsd).toBe(0);
      expect(reply.headers.get("x-officellm-cache")).toBe("hit");
    }

    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(20);
    const paid = rows.filter((row) => row.cached === 0);
    expect(paid).toHaveLength(1);
    expect(paid[0]!.cost_nano_usd / 1e9).toBe(billed[0]!.body.usage.costUsd);
    const free = rows.filter((row) => row.cached === 1);
    expect(free).toHaveLength(19);
    expect(free.every((row) => row.cost_nano_usd === 0 && row.status === "ok")).toBe(true);
    expect(new Set(rows.map((row) => row.request_id)).size).toBe(20);
  });

  it("gives every waiter the shared call's failure, and records each", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("Everyone fails");
    const upstream = gate();
    rig.fake.enqueue({
      status: 400,
      message: "Unsupported parameter (fake).",
      gate: upstream.opened,
    });
    const replies = await askTogether<ErrorBody>(token, 5, upstream, { prompt });
    expect(rig.fake.requests).toHaveLength(1);
    for (const reply of replies) {
      expect(reply.status).toBe(502);
      expect(reply.body.error.code).toBe("upstream_error");
      expect(reply.body.error.message).toContain("Unsupported parameter (fake).");
    }
    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(5);
    expect(rows.every((row) => row.status === "error" && row.error_code === "upstream_error")).toBe(
      true,
    );
  });

  it("bills a shared call whose answers broke the schema once, on one caller's row", async () => {
    const { id, token } = await rig.token();
    const schema = {
      type: "object",
      properties: { n: { type: "integer" } },
      required: ["n"],
      additionalProperties: false,
    };
    const prompt = uniquePrompt("Shared broken format");
    const upstream = gate();
    rig.fake.enqueue({ text: "not json", gate: upstream.opened }, { text: "still not json" });
    const replies = await askTogether<ErrorBody>(token, 4, upstream, {
      prompt,
      responseFormat: { type: "json", schema },
    });
    expect(replies.map((reply) => reply.status)).toEqual([502, 502, 502, 502]);
    expect(rig.fake.requests).toHaveLength(2);
    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(4);
    expect(rows.every((row) => row.status === "error")).toBe(true);
    const charged = rows.filter((row) => row.cost_nano_usd > 0);
    expect(charged).toHaveLength(1);
    expect(charged[0]!.output_tokens).toBeGreaterThan(0);
  });

  it("keeps the shared call going when one of its callers goes away", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("One leaves");
    const upstream = gate();
    rig.fake.setResponder(() => ({ text: "worth the wait", gate: upstream.opened }));
    const body = { model: c.model, prompt, temperature: 0 };
    const leaving = new AbortController();
    const gone = rig.post("/api/v1/completions", token, body, { signal: leaving.signal });
    const staying = [1, 2].map(() => rig.post<CompletionBody>("/api/v1/completions", token, body));
    await rig.fake.waitForRequests(1);
    await waitersReach(3);
    leaving.abort();
    await expect(gone).rejects.toThrow();
    // The server has seen the caller go before the answer comes.
    await waitersReach(2);
    upstream.open();
    for (const reply of await Promise.all(staying)) {
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.text).toBe("worth the wait");
    }
    expect(rig.fake.requests).toHaveLength(1);
    expect(rig.fake.aborted).toBe(0);
    const rows = await ledgerWithin(rig, id, 3);
    expect(rows.filter((row) => row.error_code === "cancelled")).toHaveLength(1);
    const answered = rows.filter((row) => row.status === "ok");
    expect(answered).toHaveLength(2);
    // The one upstream call is still paid for, by a caller who got its answer.
    expect(answered.filter((row) => row.cached === 0 && row.cost_nano_usd > 0)).toHaveLength(1);
  });
});

const REDIS_URL = process.env.REDIS_URL;

/** A Redis database no other suite uses, emptied of the answers earlier runs cached in it. */
async function privateRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL!, { db: 9 });
  for (let cursor = "0"; ;) {
    const [next, keys] = await redis.scan(cursor, "MATCH", "officellm:cache:*", "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  return redis;
}

describe.each([
  { backend: "memory", enabled: true },
  { backend: "redis", enabled: REDIS_URL !== undefined },
])("the response cache with CACHE_MAX_BYTES=1mb, in $backend", ({ backend, enabled }) => {
  let bounded: Rig;
  let redis: Redis | undefined;
  beforeAll(async () => {
    if (!enabled) return;
    redis = backend === "redis" ? await privateRedis() : undefined;
    bounded = await startRig({ env: { CACHE_MAX_BYTES: "1mb" }, redis });
  });
  afterAll(async () => {
    await bounded?.close();
    redis?.disconnect();
  });
  beforeEach(() => bounded?.fake.reset());

  const ask = (token: string, prompt: string) =>
    bounded.post<CompletionBody>("/api/v1/completions", token, {
      model: "gpt-4.1-mini",
      prompt,
      temperature: 0,
    });

  it.runIf(enabled)("does not cache an answer larger than a tenth of it", async () => {
    const { token } = await bounded.token();
    bounded.fake.setResponder(() => ({ text: "x".repeat(110 * 1024) }));
    const prompt = uniquePrompt("A long answer");
    const first = await ask(token, prompt);
    expect(first.status, first.text).toBe(200);
    expect(first.body.text).toHaveLength(110 * 1024);
    const second = await ask(token, prompt);
    expect(second.status).toBe(200);
    expect(second.body.cached).toBe(false);
    expect(bounded.fake.calls).toHaveLength(2);
  });

  it.runIf(enabled)("keeps at most that many bytes of answers, the oldest giving way", async () => {
    const { token } = await bounded.token();
    bounded.fake.setResponder((call) => ({ text: call.lastUserText.padEnd(90 * 1024, ".") }));
    const prompts = Array.from({ length: 14 }, (_, i) => uniquePrompt(`Answer ${i}`));
    for (const prompt of prompts) expect((await ask(token, prompt)).status).toBe(200);
    // 14 answers of 90 KB: about the last 11 fit in 1 MB.
    const newest = await ask(token, prompts.at(-1)!);
    expect(newest.body).toMatchObject({
      cached: true,
      text: prompts.at(-1)!.padEnd(90 * 1024, "."),
    });
    const oldest = await ask(token, prompts[0]!);
    expect(oldest.body.cached).toBe(false);
    expect(bounded.fake.calls).toHaveLength(15);
  });
});
