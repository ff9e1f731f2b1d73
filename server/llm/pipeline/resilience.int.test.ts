/**
 * What the gateway does when the provider misbehaves, end to end over real HTTP: retries (and
 * which failures are not retried), timeouts, resets, streams cut short, callers who go away,
 * budgets, fallbacks, and provider keys that must never reach a caller or a log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ANTHROPIC_KEY,
  bodyOf,
  catalogNanoUsd,
  expectNoKeys,
  ledger,
  ledgerWithin,
  OPENAI_KEY,
  parseSse,
  providerCases,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type ErrorBody,
  type Reply,
  type Rig,
} from "../../test/llm-rig.ts";

/** Default settings: 60 s upstream timeout, two retries. */
let rig: Rig;
/** LLM_TIMEOUT_MS 300, no retries: for calls that hang. */
let impatient: Rig;
/** LLM_TIMEOUT_MS 1000 (time for the retry to answer on a loaded machine), one retry. */
let retryOnce: Rig;
/** A fake that sends stream events 20 ms apart. */
let trickle: Rig;
/**
 * One call in flight per provider, a 1000 ms timeout (time for the calls that should answer to
 * do so on a loaded machine), no retries; stream events 10 ms apart.
 */
let narrow: Rig;
/**
 * The defaults' proportions: one call's timeout fits the request's, three of them do not
 * (REQUEST_TIMEOUT_MS 1500, LLM_TIMEOUT_MS 1000, two retries).
 */
let tight: Rig;
/** One call's timeout outlasts the request's (REQUEST_TIMEOUT_MS 1500, LLM_TIMEOUT_MS 5000). */
let outlasting: Rig;

beforeAll(async () => {
  [rig, impatient, retryOnce, trickle, narrow, tight, outlasting] = await Promise.all([
    startRig(),
    startRig({ env: { LLM_TIMEOUT_MS: "300", LLM_MAX_RETRIES: "0" } }),
    startRig({ env: { LLM_TIMEOUT_MS: "1000", LLM_MAX_RETRIES: "1" } }),
    startRig({ fake: { chunkDelayMs: 20 } }),
    startRig({
      env: { PROVIDER_CONCURRENCY: "1", LLM_TIMEOUT_MS: "1000", LLM_MAX_RETRIES: "0" },
      fake: { chunkDelayMs: 10 },
    }),
    startRig({
      env: { REQUEST_TIMEOUT_MS: "1500", LLM_TIMEOUT_MS: "1000", LLM_MAX_RETRIES: "2" },
    }),
    startRig({
      env: { REQUEST_TIMEOUT_MS: "1500", LLM_TIMEOUT_MS: "5000", LLM_MAX_RETRIES: "2" },
    }),
  ]);
});
const allRigs = () => [rig, impatient, retryOnce, trickle, narrow, tight, outlasting];
afterAll(async () => {
  const rigs = allRigs();
  for (const each of rigs) expectNoKeys([...each.seen, each.server.logs.text]);
  await Promise.all(rigs.map((each) => each.close()));
});
beforeEach(() => {
  for (const each of allRigs()) {
    each.fake.reset();
    each.sleep.reset();
  }
});

const longText = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");

describe.each(providerCases)("resilience with $provider ($model)", (c) => {
  const complete = <T = CompletionBody>(
    on: Rig,
    token: string,
    body: Record<string, unknown>,
    init?: { signal?: AbortSignal },
  ) => on.post<T>("/api/v1/completions", token, { model: c.model, ...body }, init);

  /**
   * Sends a call the provider never answers, and aborts it once `arrivals` calls have reached the
   * provider; resolves once the caller has seen the abort and the upstream call is aborted too.
   */
  const abortOnArrival = async (
    on: Rig,
    token: string,
    body: Record<string, unknown>,
    arrivals = 1,
  ) => {
    on.fake.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = complete(on, token, body, { signal: controller.signal });
    await on.fake.waitForRequests(arrivals);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await on.fake.waitForAborted(arrivals);
  };

  /** Starts a streamed call and answers its response, still open, to be read or left. */
  const openStream = (on: Rig, token: string, prompt: string, signal: AbortSignal) =>
    on.server.fetch("/api/v1/completions", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: c.model, prompt, stream: true }),
      signal,
    });

  /** A 504 upstream_timeout answer, and the call's ledger row saying so. */
  const expectUpstreamTimeout = async (on: Rig, tokenId: string, reply: Reply<ErrorBody>) => {
    expect(reply.status, reply.text).toBe(504);
    expect(reply.body.error.code).toBe("upstream_timeout");
    expect(await ledger(on, tokenId)).toMatchObject([
      { status: "error", error_code: "upstream_timeout" },
    ]);
  };

  describe("retries", () => {
    it("waits out a 429's Retry-After, then answers, saying it retried", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 429, retryAfterSeconds: 1 });
      const reply = await complete(rig, token, { prompt: uniquePrompt("Busy?") });
      expect(reply.status, reply.text).toBe(200);
      expect(rig.sleep.asked).toEqual([1000]);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      expect(rig.fake.requests).toHaveLength(2);
      expect(await ledger(rig, id)).toMatchObject([{ status: "ok", cached: 0 }]);
    });

    it("stops retrying when the caller goes away during a Retry-After wait", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 429, retryAfterSeconds: 1 });
      rig.sleep.hold();
      const controller = new AbortController();
      const pending = complete(
        rig,
        token,
        { prompt: uniquePrompt("Gone") },
        {
          signal: controller.signal,
        },
      );
      await rig.sleep.waitForSleepers(1);
      controller.abort();
      await expect(pending).rejects.toThrow();
      // The call is over once its row is written: the wait was cut short, and nothing followed.
      expect(await ledgerWithin(rig, id, 1)).toMatchObject([
        { status: "error", error_code: "cancelled" },
      ]);
      expect(rig.sleep.sleepers).toBe(0);
      expect(rig.sleep.asked).toEqual([1000]);
      expect(rig.fake.requests).toHaveLength(1);
    });

    it("does not retry a 400, and answers 502 with the provider's message", async () => {
      const { id, token } = await rig.token();
      const said = "Invalid value for 'messages[0].role': 'robot' is not supported (fake).";
      rig.fake.enqueue({ status: 400, message: said });
      const reply = await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("Bad") });
      expect(reply.status).toBe(502);
      expect(reply.body.error.code).toBe("upstream_error");
      expect(reply.body.error.message).toContain(said);
      expect(reply.body.error.message).toContain(c.provider);
      expect(rig.fake.requests).toHaveLength(1);
      expect(await ledger(rig, id)).toMatchObject([
        { status: "error", error_code: "upstream_error", cost_nano_usd: 0, cached: 0 },
      ]);
    });

    it("retries a 500, then answers", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 500 });
      const reply = await complete(rig, token, { prompt: uniquePrompt("Flaky") });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      expect(rig.fake.requests).toHaveLength(2);
      expect(await ledger(rig, id)).toMatchObject([{ status: "ok" }]);
    });

    it("gives up after LLM_MAX_RETRIES retries of a 5xx with 502", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 503 }, { status: 500 }, { status: 502 });
      const reply = await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("Down") });
      expect(reply.status).toBe(502);
      expect(reply.body.error.code).toBe("upstream_error");
      expect(rig.fake.requests).toHaveLength(3);
      expect(await ledger(rig, id)).toMatchObject([
        { status: "error", error_code: "upstream_error" },
      ]);
    });

    it("does not wait out a Retry-After longer than it can, and answers 429 rate_limited", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 429, retryAfterSeconds: 120 });
      const reply = await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("Later") });
      expect(reply.status).toBe(429);
      expect(reply.body.error.code).toBe("rate_limited");
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(rig.fake.requests).toHaveLength(1);
      expect(await ledger(rig, id)).toMatchObject([
        { status: "error", error_code: "rate_limited" },
      ]);
    });

    it("retries a connection reset, then answers", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ reset: true });
      const reply = await complete(rig, token, { prompt: uniquePrompt("Reset") });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      expect(rig.fake.requests).toHaveLength(2);
      expect(await ledger(rig, id)).toMatchObject([{ status: "ok" }]);
    });

    it("retries a response cut off halfway, then answers", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ cutStreamAfterChunks: 0 });
      const prompt = uniquePrompt("Half");
      const reply = await complete(rig, token, { prompt });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.text).toBe(`echo: ${prompt}`);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      expect(rig.fake.requests).toHaveLength(2);
      expect(await ledger(rig, id)).toMatchObject([{ status: "ok" }]);
    });

    it("retries a stream cut before its first delta, then streams", async () => {
      const { id, token } = await trickle.token();
      trickle.fake.enqueue({ cutStreamAfterChunks: 0 });
      const prompt = uniquePrompt("Early cut");
      const reply = await complete(trickle, token, { prompt, stream: true });
      expect(reply.status).toBe(200);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      const events = parseSse(reply.text);
      expect(events.map((e) => e.event)).not.toContain("error");
      expect(events.at(-1)).toMatchObject({ event: "done", data: { text: `echo: ${prompt}` } });
      expect(trickle.fake.requests).toHaveLength(2);
      expect(await ledger(trickle, id)).toMatchObject([{ status: "ok" }]);
    });

    it("retries an overloaded provider (529 / 503), then answers", async () => {
      rig.fake.enqueue({ status: c.provider === "anthropic" ? 529 : 503 });
      const { token } = await rig.token();
      const reply = await complete(rig, token, { prompt: uniquePrompt("Overloaded") });
      expect(reply.status, reply.text).toBe(200);
      expect(rig.fake.requests).toHaveLength(2);
    });

    it("retries a 500 before a stream starts, then streams", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 500 }, { text: "all good now" });
      const reply = await complete(rig, token, { prompt: uniquePrompt("S"), stream: true });
      expect(reply.status).toBe(200);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      const events = parseSse(reply.text);
      expect(events.at(-1)).toMatchObject({ event: "done", data: { text: "all good now" } });
      expect(rig.fake.requests).toHaveLength(2);
      expect(await ledger(rig, id)).toMatchObject([{ status: "ok" }]);
    });

    it("answers a stream refused before it starts with a JSON error, not an event stream", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 400, message: "Bad stream request (fake)." });
      const reply = await complete<ErrorBody>(rig, token, {
        prompt: uniquePrompt("S"),
        stream: true,
      });
      expect(reply.status).toBe(502);
      expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
      expect(reply.body.error.message).toContain("Bad stream request (fake).");
      expect(rig.fake.requests).toHaveLength(1);
      expect(await ledger(rig, id)).toMatchObject([
        { status: "error", error_code: "upstream_error" },
      ]);
    });
  });

  describe("timeouts", () => {
    it("answers 504 upstream_timeout when the provider does not answer in time", async () => {
      const { id, token } = await impatient.token();
      impatient.fake.enqueue({ hang: true });
      const reply = await complete<ErrorBody>(impatient, token, { prompt: uniquePrompt("Hang") });
      await expectUpstreamTimeout(impatient, id, reply);
      expect(impatient.fake.requests).toHaveLength(1);
    });

    it("retries a call that timed out, then answers", async () => {
      const { id, token } = await retryOnce.token();
      retryOnce.fake.enqueue({ hang: true });
      const prompt = uniquePrompt("Slow once");
      const reply = await complete(retryOnce, token, { prompt });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.text).toBe(`echo: ${prompt}`);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      expect(retryOnce.fake.requests).toHaveLength(2);
      expect(await ledger(retryOnce, id)).toMatchObject([{ status: "ok" }]);
    });

    it("answers 504 when a stream does not start in time", async () => {
      const { id, token } = await impatient.token();
      impatient.fake.enqueue({ hang: true });
      const reply = await complete<ErrorBody>(impatient, token, {
        prompt: uniquePrompt("Hang stream"),
        stream: true,
      });
      await expectUpstreamTimeout(impatient, id, reply);
    });
  });

  describe("providers that answer the headers, then go silent", () => {
    it("answers 504 upstream_timeout when a body stops coming, not a broken connection", async () => {
      const { id, token } = await impatient.token();
      impatient.fake.enqueue({ stallAfterChunks: 0 });
      const reply = await complete<ErrorBody>(impatient, token, { prompt: uniquePrompt("Stall") });
      await expectUpstreamTimeout(impatient, id, reply);
      await impatient.fake.waitForAborted(1);
    });

    it("ends a stream that goes quiet with upstream_timeout before the request's own limit", async () => {
      const { id, token } = await outlasting.token();
      outlasting.fake.enqueue({ stallAfterChunks: 2, text: longText });
      const reply = await complete(outlasting, token, {
        prompt: uniquePrompt("Quiet stream"),
        stream: true,
      });
      expect(reply.status).toBe(200);
      const events = parseSse(reply.text);
      expect(events.filter((e) => e.event === "delta").length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({
        event: "error",
        data: { error: { code: "upstream_timeout" } },
      });
      expect(await ledger(outlasting, id)).toMatchObject([
        { status: "error", error_code: "upstream_timeout" },
      ]);
    });

    it("answers 504 when a body stops coming and LLM_TIMEOUT_MS outlasts the request", async () => {
      const { id, token } = await outlasting.token();
      outlasting.fake.enqueue({ stallAfterChunks: 0 });
      const reply = await complete<ErrorBody>(outlasting, token, {
        prompt: uniquePrompt("Outlasted"),
      });
      await expectUpstreamTimeout(outlasting, id, reply);
      await outlasting.fake.waitForAborted(1);
    });
  });

  describe("timeouts within the request's time", () => {
    it("answers 504 upstream_timeout, not 503, when the attempts would outlast the request", async () => {
      const { id, token } = await tight.token();
      tight.fake.setResponder(() => ({ hang: true }));
      const reply = await complete<ErrorBody>(tight, token, { prompt: uniquePrompt("Hangs") });
      await expectUpstreamTimeout(tight, id, reply);
      // After the first attempt's 1000 ms, less than a retry's shortest time (1 s) was left.
      expect(tight.fake.calls).toHaveLength(1);
    });

    it("answers 504 when a stream does not start within the request's time", async () => {
      const { id, token } = await outlasting.token();
      outlasting.fake.setResponder(() => ({ hang: true }));
      const reply = await complete<ErrorBody>(outlasting, token, {
        prompt: uniquePrompt("Hanging stream"),
        stream: true,
      });
      await expectUpstreamTimeout(outlasting, id, reply);
    });

    it("answers 504 when a shared (cacheable) call outlasts the request", async () => {
      const { id, token } = await outlasting.token();
      outlasting.fake.setResponder(() => ({ hang: true }));
      const prompt = uniquePrompt("Shared hang");
      const replies = await Promise.all(
        [1, 2].map(() => complete<ErrorBody>(outlasting, token, { prompt, temperature: 0 })),
      );
      for (const reply of replies) {
        expect(reply.status, reply.text).toBe(504);
        expect(reply.body.error.code).toBe("upstream_timeout");
      }
      expect(outlasting.fake.calls).toHaveLength(1);
      expect(await ledger(outlasting, id)).toMatchObject([
        { status: "error", error_code: "upstream_timeout" },
        { status: "error", error_code: "upstream_timeout" },
      ]);
    });
  });

  describe("streams cut short", () => {
    it("ends a stream cut midway with `event: error` and an envelope, and records the failure", async () => {
      const { id, token } = await trickle.token();
      trickle.fake.enqueue({ cutStreamAfterChunks: 3, text: longText });
      const reply = await complete(trickle, token, { prompt: uniquePrompt("Cut"), stream: true });
      expect(reply.status).toBe(200);
      const events = parseSse(reply.text);
      const deltas = events.filter((e) => e.event === "delta");
      expect(deltas.length).toBeGreaterThan(0);
      expect(events.some((e) => e.event === "done")).toBe(false);
      const last = events.at(-1)!;
      expect(last.event).toBe("error");
      expect(last.data).toMatchObject({
        error: {
          code: "upstream_error",
          message: expect.any(String),
          requestId: reply.headers.get("x-request-id"),
        },
      });
      const rows = await ledger(trickle, id);
      expect(rows).toMatchObject([{ status: "error", error_code: "upstream_error", cached: 0 }]);
    });

    it("does not cache a cut stream", async () => {
      const { token } = await trickle.token();
      const prompt = uniquePrompt("Cut, cacheable");
      trickle.fake.enqueue({ cutStreamAfterChunks: 2, text: longText });
      await complete(trickle, token, { prompt, temperature: 0, stream: true });
      const again = await complete(trickle, token, { prompt, temperature: 0 });
      expect(again.status).toBe(200);
      expect(again.body.cached).toBe(false);
      expect(again.body.text).toBe(`echo: ${prompt}`);
    });
  });

  describe("callers who go away", () => {
    it("cancels the upstream call when the caller aborts, and records and logs it as cancelled", async () => {
      const { id, token } = await rig.token();
      await abortOnArrival(rig, token, { prompt: uniquePrompt("Abort me") });
      const rows = await ledgerWithin(rig, id, 1);
      expect(rows).toMatchObject([{ status: "error", error_code: "cancelled" }]);
      // The request's log line says so too: 499, not the status a response starts with.
      const logged = () =>
        rig.server.logs.records().find((line) => line.msg === "request" && line.tokenId === id);
      await expect.poll(logged).toMatchObject({
        path: "/api/v1/completions",
        status: 499,
        aborted: true,
      });
    });

    it("cancels a shared (cacheable) upstream call when its only caller aborts", async () => {
      const { id, token } = await rig.token();
      const prompt = uniquePrompt("Abort cacheable");
      await abortOnArrival(rig, token, { prompt, temperature: 0 });
      expect(await ledgerWithin(rig, id, 1)).toMatchObject([{ error_code: "cancelled" }]);
      // The same question asked again goes upstream afresh.
      const again = await complete(rig, token, { prompt, temperature: 0 });
      expect(again.status, again.text).toBe(200);
      expect(again.body.cached).toBe(false);
    });

    it("cancels a stream that has not started when the caller aborts", async () => {
      const { id, token } = await rig.token();
      await abortOnArrival(rig, token, { prompt: uniquePrompt("A"), stream: true });
      expect(await ledgerWithin(rig, id, 1)).toMatchObject([{ error_code: "cancelled" }]);
    });

    it("cancels a stream midway when the caller stops reading", async () => {
      const { id, token } = await trickle.token();
      // The stream goes quiet midway, so it is still going however slowly the test reads.
      trickle.fake.enqueue({ stallAfterChunks: 3, text: longText });
      const controller = new AbortController();
      const response = await openStream(trickle, token, uniquePrompt("Midway"), controller.signal);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      let seen = "";
      while (!seen.includes("event: delta")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      expect(seen).toContain("event: delta");
      controller.abort();
      await trickle.fake.waitForAborted(1);
      const rows = await ledgerWithin(trickle, id, 1);
      expect(rows).toMatchObject([{ status: "error", error_code: "cancelled" }]);
    });
  });

  it("queues calls beyond the provider's concurrency cap, and frees the slot after every failure", async () => {
    const { token } = await narrow.token();
    await abortOnArrival(narrow, token, { prompt: uniquePrompt("n1") }, 1);
    await abortOnArrival(narrow, token, { prompt: uniquePrompt("n2"), temperature: 0 }, 2);
    await abortOnArrival(narrow, token, { prompt: uniquePrompt("n3"), stream: true }, 3);

    narrow.fake.enqueue({ hang: true });
    expect((await complete(narrow, token, { prompt: uniquePrompt("n4") })).status).toBe(504);
    narrow.fake.enqueue({ hang: true });
    const slow = await complete(narrow, token, { prompt: uniquePrompt("n5"), stream: true });
    expect(slow.status).toBe(504);
    narrow.fake.enqueue({ cutStreamAfterChunks: 2, text: longText });
    const cut = await complete(narrow, token, { prompt: uniquePrompt("n6"), stream: true });
    expect(parseSse(cut.text).at(-1)!.event).toBe("error");
    narrow.fake.enqueue({ status: 400 });
    expect((await complete(narrow, token, { prompt: uniquePrompt("n7") })).status).toBe(502);
    narrow.fake.enqueue({ status: 400 });
    const refused = await complete(narrow, token, { prompt: uniquePrompt("n8"), stream: true });
    expect(refused.status).toBe(502);

    // A stream the caller leaves midway (it goes quiet there, so it is still going).
    narrow.fake.enqueue({ stallAfterChunks: 3, text: longText });
    const controller = new AbortController();
    const response = await openStream(narrow, token, uniquePrompt("n9"), controller.signal);
    await response.body!.getReader().read();
    controller.abort();
    await narrow.fake.waitForAborted(5);

    // Still one slot, and it is free: three calls are answered one after the other. Each answer
    // is held until the test has seen its call arrive, so calls sent at once would overlap.
    const inFlightOnArrival: number[] = [];
    const answers: (() => void)[] = [];
    narrow.fake.setResponder(() => {
      inFlightOnArrival.push(narrow.fake.inflight);
      return { text: "in turn", gate: new Promise<void>((resolve) => answers.push(resolve)) };
    });
    const before = narrow.fake.requests.length;
    const replies = Promise.all(
      [1, 2, 3].map((i) => complete(narrow, token, { prompt: uniquePrompt(`q${i}`) })),
    );
    for (const arrival of [1, 2, 3]) {
      await narrow.fake.waitForRequests(before + arrival);
      expect(answers).toHaveLength(arrival);
      answers.at(-1)!();
    }
    expect((await replies).map((reply) => reply.status)).toEqual([200, 200, 200]);
    expect(inFlightOnArrival).toEqual([1, 1, 1]);
  });

  describe("budgets", () => {
    const spend = async (on: Rig, tokenId: string, createdAt: string) =>
      on.server.store.usage.record({
        id: `usage-${tokenId}-${createdAt}`,
        token_id: tokenId,
        request_id: "earlier",
        provider: c.provider,
        model: c.model,
        key_label: null,
        input_tokens: 2000,
        output_tokens: 2000,
        cost_nano_usd: 10_000_000,
        cached: 0,
        latency_ms: 100,
        status: "ok",
        error_code: null,
        created_at: createdAt,
      });

    it("answers 429 budget_exceeded, without calling upstream, once the month's budget is spent", async () => {
      const { id, token } = await rig.token({ budgetUsd: 0.000001 });
      await spend(rig, id, rig.server.clock.now().toISOString());
      const reply = await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("Broke") });
      expect(reply.status).toBe(429);
      expect(reply.body.error.code).toBe("budget_exceeded");
      expect(reply.body.error.message).toMatch(/budget/i);
      const streamed = await complete<ErrorBody>(rig, token, {
        prompt: uniquePrompt("Broke stream"),
        stream: true,
      });
      expect(streamed.status).toBe(429);
      expect(streamed.body.error.code).toBe("budget_exceeded");
      expect(rig.fake.requests).toHaveLength(0);
      // Each refusal has its row, at no cost, beside the earlier spending.
      const refused = (await ledger(rig, id)).filter((row) => row.request_id !== "earlier");
      expect(
        refused.map((row) => [row.status, row.error_code, row.cost_nano_usd, row.model]),
      ).toEqual([
        ["error", "budget_exceeded", 0, c.model],
        ["error", "budget_exceeded", 0, c.model],
      ]);
    });

    it("counts only this month's spending", async () => {
      // Last month's $0.01 would leave nothing of $0.005; a 100-token answer fits it.
      const { id, token } = await rig.token({ budgetUsd: 0.005 });
      await spend(rig, id, "2026-10-31T23:59:59.000Z");
      const reply = await complete(rig, token, {
        prompt: uniquePrompt("New month"),
        maxTokens: 100,
      });
      expect(reply.status, reply.text).toBe(200);
    });

    it("stops a token once its own calls have left less than a call's maximum cost", async () => {
      // A budget for one call of up to 1,000 output tokens (and up to 100 in); the answer takes
      // 900 of them, and what is left cannot hold a second such call.
      const budget = catalogNanoUsd(c.model, 100, 1000);
      const { id, token } = await rig.token({ budgetUsd: budget / 1e9 });
      rig.fake.setResponder(() => ({ text: "x".repeat(3 * 900) }));
      const ask = (label: string) =>
        complete<ErrorBody>(rig, token, { prompt: uniquePrompt(label), maxTokens: 1000 });
      const first = await ask("First");
      expect(first.status, first.text).toBe(200);
      const second = await ask("Second");
      expect(second.status).toBe(429);
      expect(second.body.error.code).toBe("budget_exceeded");
      expect(rig.fake.requests).toHaveLength(1);
      const rows = await ledger(rig, id);
      expect(rows.map((row) => row.error_code).sort()).toEqual(["budget_exceeded", null]);
    });
  });

  describe("fallbacks", () => {
    it(`answers with the fallback model when ${c.provider} keeps failing with 5xx`, async () => {
      const { id, token } = await rig.token();
      rig.fake.setResponder((call) => (call.provider === c.provider ? { status: 500 } : undefined));
      const prompt = uniquePrompt("Fall back");
      const reply = await complete(rig, token, { prompt, fallbackModels: [c.other] });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({
        model: c.other,
        provider: c.otherProvider,
        text: `echo: ${prompt}`,
      });
      expect(reply.headers.get("x-officellm-provider")).toBe(c.otherProvider);
      expect(reply.headers.get("x-officellm-model")).toBe(c.other);
      const providersAsked = rig.fake.requests.map((r) => r.provider);
      expect(providersAsked).toEqual([c.provider, c.provider, c.provider, c.otherProvider]);
      const rows = await ledger(rig, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "ok", provider: c.otherProvider, model: c.other });
      expect(rows[0]!.cost_nano_usd).toBeGreaterThan(0);
    });

    it("does not fall back after a 400 from the primary model", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ status: 400, message: "This request is malformed (fake)." });
      const reply = await complete<ErrorBody>(rig, token, {
        prompt: uniquePrompt("No fallback"),
        fallbackModels: [c.other],
      });
      expect(reply.status).toBe(502);
      expect(reply.body.error.message).toContain("This request is malformed (fake).");
      expect(rig.fake.requests.map((r) => r.provider)).toEqual([c.provider]);
      expect(await ledger(rig, id)).toMatchObject([
        { status: "error", error_code: "upstream_error", provider: c.provider },
      ]);
    });

    it("answers the last failure when the fallback fails too", async () => {
      const { id, token } = await narrow.token();
      narrow.fake.setResponder((call) =>
        call.provider === c.provider ? { status: 500 } : { status: 400, message: "Nope (fake)." },
      );
      const reply = await complete<ErrorBody>(narrow, token, {
        prompt: uniquePrompt("Both fail"),
        fallbackModels: [c.other],
      });
      expect(reply.status).toBe(502);
      expect(reply.body.error.message).toContain("Nope (fake).");
      expect(narrow.fake.requests.map((r) => r.provider)).toEqual([c.provider, c.otherProvider]);
      expect(await ledger(narrow, id)).toMatchObject([{ status: "error" }]);
    });
  });

  describe("provider keys", () => {
    const leaky = (status: number, retryAfterSeconds?: number) => ({
      status,
      message: `Incorrect API key provided: ${c.provider === "openai" ? OPENAI_KEY : ANTHROPIC_KEY}. Also seen: ${OPENAI_KEY} ${ANTHROPIC_KEY}`,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });

    it("never repeats a key that the provider's error message contains", async () => {
      const { token } = await rig.token();
      const replies = [];

      rig.fake.enqueue(leaky(401));
      replies.push(await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("401") }));
      expect(replies.at(-1)!.status).toBe(502);
      expect(replies.at(-1)!.body.error.message).toMatch(/credentials/);

      rig.fake.enqueue(leaky(400));
      replies.push(await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("400") }));
      expect(replies.at(-1)!.status).toBe(502);
      expect(replies.at(-1)!.body.error.message).toMatch(/Incorrect API key provided/);

      rig.fake.enqueue(leaky(429, 600));
      replies.push(await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("429") }));
      expect(replies.at(-1)!.status).toBe(429);

      rig.fake.enqueue(leaky(500), leaky(500), leaky(500));
      replies.push(await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("500") }));
      expect(replies.at(-1)!.status).toBe(502);

      rig.fake.enqueue(leaky(401));
      replies.push(
        await complete<ErrorBody>(rig, token, { prompt: uniquePrompt("401s"), stream: true }),
      );
      expect(replies.at(-1)!.status).toBe(502);

      rig.fake.enqueue(leaky(403));
      replies.push(
        await complete<ErrorBody>(rig, token, {
          prompt: uniquePrompt("fallback"),
          fallbackModels: [c.other],
        }),
      );
      expect(replies.at(-1)!.status).toBe(502);

      for (const reply of replies) {
        expect(reply.body.error.code).toMatch(/^(upstream_error|rate_limited)$/);
        expectNoKeys([reply.text, JSON.stringify([...reply.headers])]);
      }
      expectNoKeys([rig.server.logs.text]);
    });
  });
});

describe("fallbacks fit the caller's parameters to the fallback model", () => {
  it("gives a reasoning fallback temperature 1 and no stop, and still applies the stop", async () => {
    const { token } = await rig.token();
    rig.fake.setResponder((call) =>
      call.model === "gpt-4.1-mini" ? { status: 500 } : { text: "alpha END beta" },
    );
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
      model: "gpt-4.1-mini",
      fallbackModels: ["gpt-5-mini"],
      prompt: uniquePrompt("Stop me"),
      temperature: 0.2,
      stop: ["END"],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.model).toBe("gpt-5-mini");
    const fallbackBody = bodyOf(rig.fake.requests.at(-1));
    expect(fallbackBody.model).toBe("gpt-5-mini");
    expect(fallbackBody.temperature).toBe(1);
    expect(fallbackBody).not.toHaveProperty("stop");
    expect(reply.body.text).toBe("alpha ");
  });

  it("gives an ordinary fallback of a reasoning model the caller's temperature and stop", async () => {
    const { token } = await rig.token();
    rig.fake.setResponder((call) => (call.model === "gpt-5-mini" ? { status: 500 } : undefined));
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
      model: "gpt-5-mini",
      fallbackModels: ["gpt-4.1-mini"],
      prompt: uniquePrompt("Keep my temperature"),
      temperature: 0.2,
      stop: ["END"],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.model).toBe("gpt-4.1-mini");
    const primaryBody = bodyOf(rig.fake.requests[0]);
    expect(primaryBody.temperature).toBe(1);
    const fallbackBody = bodyOf(rig.fake.requests.at(-1));
    expect(fallbackBody).toMatchObject({ model: "gpt-4.1-mini", temperature: 0.2, stop: ["END"] });
  });
});

describe("stop sequences the gateway applies itself", () => {
  it("opens the stream at once while text held back may still turn out to be a stop", async () => {
    const { token } = await rig.token();
    // gpt-5-mini takes no stop: the gateway applies it, and the answer starts with it, so no
    // text is ever sent. The fake sends the first pieces, then holds the rest until the test
    // has the response's headers: they cannot have waited for the answer's end.
    let resume = () => {};
    rig.fake.enqueue({ stallAfterChunks: 3, resume: new Promise<void>((go) => (resume = go)) });
    const response = await rig.server.fetch("/api/v1/completions", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-5-mini",
        prompt: `${uniquePrompt("Held back")} ${longText}`,
        stop: ["echo"],
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    resume();
    const events = parseSse(await response.text());
    expect(events.map((e) => e.event)).toEqual(["done"]);
    expect(events[0]!.data).toMatchObject({ text: "" });
  });
});
