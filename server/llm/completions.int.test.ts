/**
 * POST /api/v1/completions through the real server, the real provider adapters and SDKs, and the
 * fake provider over HTTP: plain and streamed answers, usage and cost, structured output,
 * parameter rules, the ledger, and the offline demo model.
 */
import { Ajv } from "ajv";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeTokenCount } from "../test/fake-provider.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import {
  ANTHROPIC_KEY,
  bodyOf,
  catalogCost,
  catalogNanoUsd,
  expectNoKeys,
  fakeUsage,
  ledger,
  OPENAI_KEY,
  parseSse,
  providerCases,
  startRig,
  uniquePrompt,
  type CompletionBody,
  type ErrorBody,
  type Rig,
} from "../test/llm-rig.ts";

let rig: Rig;
let caller: { id: string; token: string };

beforeAll(async () => {
  rig = await startRig();
  caller = await rig.token();
});
afterAll(async () => {
  expectNoKeys([...rig.seen, rig.server.logs.text]);
  await rig.close();
});
beforeEach(() => rig.fake.reset());

const personSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    count: { type: "integer" },
    tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
  },
  required: ["name", "count", "tags"],
  additionalProperties: false,
};

describe.each(providerCases)("completions through $provider ($model)", (c) => {
  it("answers a plain completion with the text, the usage and its cost at the catalog price", async () => {
    const { id, token } = await rig.token();
    const prompt = uniquePrompt("Say hello");
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
      model: c.model,
      prompt,
    });
    expect(reply.status, reply.text).toBe(200);
    const text = `echo: ${prompt}`;
    const usage = fakeUsage(prompt, text);
    const cost = catalogCost(c.model, usage.inputTokens, usage.outputTokens);
    expect(reply.body).toMatchObject({
      model: c.model,
      provider: c.provider,
      text,
      cached: false,
      usage: { ...usage, costUsd: expect.closeTo(cost, 12) },
    });
    expect(cost).toBeGreaterThan(0);
    expect(reply.body.id).toMatch(/^cmpl_/);
    expect(reply.body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(reply.body).sort()).toEqual(
      ["cached", "id", "latencyMs", "model", "provider", "text", "usage"].sort(),
    );
    expect(reply.headers.get("x-officellm-cache")).toBe("miss");
    expect(reply.headers.get("x-officellm-provider")).toBe(c.provider);
    expect(reply.headers.get("x-officellm-model")).toBe(c.model);
    expect(reply.headers.get("x-officellm-retries")).toBe("0");
    // The gateway's own time, in ms: a number that is there, not a missing header read as 0.
    expect(reply.headers.get("x-officellm-overhead-ms")).toMatch(/^\d+(\.\d+)?$/);

    // The adapter reached the right endpoint with this server's key.
    expect(rig.fake.requests).toHaveLength(1);
    const request = rig.fake.requests[0]!;
    expect(request.provider).toBe(c.provider);
    if (c.provider === "openai") {
      expect(request.path).toBe("/v1/chat/completions");
      expect(request.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    } else {
      expect(request.path).toBe("/v1/messages");
      // The SDK sends the key as a bearer credential (older versions as x-api-key).
      const sent = request.headers["x-api-key"] ?? request.headers.authorization;
      expect(String(sent).replace(/^Bearer /, "")).toBe(ANTHROPIC_KEY);
    }
    expect(bodyOf(request)).toMatchObject({
      model: c.model,
      messages: [{ role: "user", content: prompt }],
    });

    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      token_id: id,
      request_id: reply.headers.get("x-request-id"),
      provider: c.provider,
      model: c.model,
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cached: 0,
      status: "ok",
      error_code: null,
    });
    expect(rows[0]!.cost_nano_usd).toBe(
      catalogNanoUsd(c.model, usage.inputTokens, usage.outputTokens),
    );
  });

  it("sends the system prompt and a conversation as the provider expects", async () => {
    const prompt = uniquePrompt("And then?");
    const reply = await rig.post<CompletionBody>("/api/v1/completions", caller.token, {
      model: c.model,
      system: "Be brief.",
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello." },
        { role: "user", content: prompt },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.text).toBe(`echo: ${prompt}`);
    expect(reply.body.usage.inputTokens).toBe(fakeTokenCount(`Be brief.HiHello.${prompt}`));
    const body = bodyOf(rig.fake.requests[0]);
    const turns = [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
      { role: "user", content: prompt },
    ];
    if (c.provider === "openai")
      expect(body.messages).toEqual([{ role: "system", content: "Be brief." }, ...turns]);
    else {
      expect(body.system).toBe("Be brief.");
      expect(body.messages).toEqual(turns);
    }
  });

  it("streams deltas as `event: delta`, then one `event: done` with usage and cost", async () => {
    const { id, token } = await rig.token();
    const text = "The quick brown fox jumps.";
    rig.fake.enqueue({ text });
    const prompt = uniquePrompt("Tell me about foxes");
    const reply = await rig.post("/api/v1/completions", token, {
      model: c.model,
      prompt,
      stream: true,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(reply.headers.get("x-officellm-cache")).toBe("miss");
    expect(reply.headers.get("x-officellm-provider")).toBe(c.provider);
    expect(reply.headers.get("x-officellm-model")).toBe(c.model);
    const events = parseSse(reply.text);
    const deltas = events.filter((e) => e.event === "delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => (e.data as { text: string }).text).join("")).toBe(text);
    expect(events.map((e) => e.event)).toEqual([...deltas.map(() => "delta"), "done"]);
    const done = events.at(-1)!.data as CompletionBody;
    const usage = fakeUsage(prompt, text);
    const cost = catalogCost(c.model, usage.inputTokens, usage.outputTokens);
    expect(done).toMatchObject({
      model: c.model,
      provider: c.provider,
      text,
      cached: false,
      usage: { ...usage, costUsd: expect.closeTo(cost, 12) },
    });
    expect(done).not.toHaveProperty("retries");
    expect(done).not.toHaveProperty("upstreamMs");
    expect(bodyOf(rig.fake.requests[0])).toMatchObject({ stream: true });

    const rows = await ledger(rig, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: "ok",
      cached: 0,
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      request_id: reply.headers.get("x-request-id"),
    });
    expect(rows[0]!.cost_nano_usd).toBe(
      catalogNanoUsd(c.model, usage.inputTokens, usage.outputTokens),
    );
  });

  describe("structured output", () => {
    it("asks the provider's JSON-schema mode and answers the validated value in `json`", async () => {
      const { id, token } = await rig.token();
      const prompt = uniquePrompt("Describe someone");
      const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
        model: c.model,
        prompt,
        responseFormat: { type: "json", schema: personSchema },
      });
      expect(reply.status, reply.text).toBe(200);
      const value = { name: `echo: ${prompt}`, count: 0, tags: ["a"] };
      expect(reply.body.json).toEqual(value);
      expect(JSON.parse(reply.body.text)).toEqual(value);
      expect(reply.headers.get("x-officellm-retries")).toBe("0");
      expect(rig.fake.requests).toHaveLength(1);
      const body = bodyOf(rig.fake.requests[0]);
      if (c.provider === "openai") {
        expect(body.response_format).toMatchObject({
          type: "json_schema",
          json_schema: { schema: personSchema },
        });
      } else {
        expect(body.output_config).toMatchObject({
          format: { type: "json_schema", schema: { properties: { name: { type: "string" } } } },
        });
      }
      const rows = await ledger(rig, id);
      expect(rows).toMatchObject([{ status: "ok", cached: 0 }]);
      expect(rows[0]!.cost_nano_usd).toBeGreaterThan(0);
    });

    it("asks once more after an answer that breaks the schema, then answers the valid one", async () => {
      const { id, token } = await rig.token();
      const invalid = "Sure! Here is the person you asked for.";
      const valid = { name: "Ada", count: 3, tags: ["b"] };
      rig.fake.enqueue({ text: invalid }, { json: valid });
      const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
        model: c.model,
        prompt: uniquePrompt("Describe Ada"),
        responseFormat: { type: "json", schema: personSchema },
      });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.json).toEqual(valid);
      expect(reply.headers.get("x-officellm-retries")).toBe("1");
      expect(rig.fake.requests).toHaveLength(2);
      const second = bodyOf(rig.fake.requests[1]);
      const messages = second.messages as { role: string; content: unknown }[];
      expect(JSON.stringify(messages.at(-2))).toContain(invalid);
      expect(messages.at(-2)!.role).toBe("assistant");
      expect(messages.at(-1)!.role).toBe("user");
      expect(JSON.stringify(messages.at(-1))).toMatch(/not valid JSON/);
      expect(second.response_format ?? second.output_config).toBeDefined();
      // Both calls were paid for.
      expect(reply.body.usage.outputTokens).toBe(
        fakeTokenCount(invalid) + fakeTokenCount(JSON.stringify(valid)),
      );
      const rows = await ledger(rig, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "ok", output_tokens: reply.body.usage.outputTokens });
      expect(rows[0]!.cost_nano_usd).toBe(
        catalogNanoUsd(c.model, reply.body.usage.inputTokens, reply.body.usage.outputTokens),
      );
    });

    it("answers 502 upstream_error, saying why, after two answers that break the schema", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ text: "no JSON here" }, { json: { name: 7 } });
      const reply = await rig.post<ErrorBody>("/api/v1/completions", token, {
        model: c.model,
        prompt: uniquePrompt("Describe nobody"),
        responseFormat: { type: "json", schema: personSchema },
      });
      expect(reply.status).toBe(502);
      expect(reply.body.error.code).toBe("upstream_error");
      expect(reply.body.error.message).toMatch(/format/i);
      expect(reply.body.error.message).toMatch(/schema/i);
      expect(reply.body.error.requestId).toBe(reply.headers.get("x-request-id"));
      expect(rig.fake.requests).toHaveLength(2);
      const rows = await ledger(rig, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "error", error_code: "upstream_error", cached: 0 });
      // The provider billed both answers; so does the ledger (budgets count them).
      const output = fakeTokenCount("no JSON here") + fakeTokenCount(JSON.stringify({ name: 7 }));
      expect(rows[0]!.output_tokens).toBe(output);
      expect(rows[0]!.cost_nano_usd).toBe(catalogNanoUsd(c.model, rows[0]!.input_tokens, output));
      expect(rows[0]!.input_tokens).toBeGreaterThan(0);
    });

    it("validates a streamed JSON answer and gives it in the done event", async () => {
      const reply = await rig.post("/api/v1/completions", caller.token, {
        model: c.model,
        prompt: uniquePrompt("Stream someone"),
        responseFormat: { type: "json", schema: personSchema },
        stream: true,
      });
      expect(reply.status).toBe(200);
      const events = parseSse(reply.text);
      const done = events.at(-1)!;
      expect(done.event).toBe("done");
      expect((done.data as CompletionBody).json).toMatchObject({ count: 0, tags: ["a"] });
    });

    it("ends a streamed answer that breaks the schema with `event: error`", async () => {
      const { id, token } = await rig.token();
      rig.fake.enqueue({ text: "not json at all" });
      const reply = await rig.post("/api/v1/completions", token, {
        model: c.model,
        prompt: uniquePrompt("Stream garbage"),
        responseFormat: { type: "json", schema: personSchema },
        stream: true,
      });
      expect(reply.status).toBe(200);
      const events = parseSse(reply.text);
      expect(events.at(-1)!.event).toBe("error");
      expect(events.at(-1)!.data).toMatchObject({
        error: { code: "upstream_error", requestId: reply.headers.get("x-request-id") },
      });
      expect(events.some((e) => e.event === "done")).toBe(false);
      expect(await ledger(rig, id)).toMatchObject([
        { status: "error", error_code: "upstream_error" },
      ]);
    });
  });

  it("clamps maxTokens above the model's maximum to that maximum", async () => {
    const reply = await rig.post<CompletionBody>("/api/v1/completions", caller.token, {
      model: c.model,
      prompt: uniquePrompt("Go long"),
      maxTokens: 10_000_000,
    });
    expect(reply.status, reply.text).toBe(200);
    const body = bodyOf(rig.fake.requests[0]);
    const max = c.provider === "openai" ? 32_768 : 64_000;
    if (c.provider === "openai") expect(body.max_completion_tokens).toBe(max);
    else expect(body.max_tokens).toBe(max);
  });

  it("passes maxTokens and stop sequences through for a model that takes them", async () => {
    const reply = await rig.post<CompletionBody>("/api/v1/completions", caller.token, {
      model: c.model,
      prompt: uniquePrompt("Count"),
      temperature: 0.2,
      maxTokens: 50,
      stop: ["END"],
    });
    expect(reply.status, reply.text).toBe(200);
    const body = bodyOf(rig.fake.requests[0]);
    if (c.provider === "openai") {
      expect(body).toMatchObject({ temperature: 0.2, max_completion_tokens: 50, stop: ["END"] });
    } else {
      expect(body).toMatchObject({ max_tokens: 50, stop_sequences: ["END"] });
    }
  });

  it("answers 400 for an unknown model without calling upstream", async () => {
    const reply = await rig.post<ErrorBody>("/api/v1/completions", caller.token, {
      model: `${c.model}-nonexistent`,
      prompt: "hi",
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("unknown_model");
    expect(reply.body.error.message).toMatch(/Unknown model/);
    expect(rig.fake.requests).toHaveLength(0);
  });
});

describe("reasoning model rules (gpt-5-mini)", () => {
  it("sends temperature 1 and no stop sequences, and cuts the answer at the stop itself", async () => {
    const { id, token } = await rig.token();
    rig.fake.enqueue({ text: "alpha beta END gamma" });
    const reply = await rig.post<CompletionBody>("/api/v1/completions", token, {
      model: "gpt-5-mini",
      prompt: uniquePrompt("Letters"),
      temperature: 0.2,
      stop: ["END"],
      maxTokens: 1_000_000,
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.text).toBe("alpha beta ");
    const body = bodyOf(rig.fake.requests[0]);
    expect(body.temperature).toBe(1);
    expect(body).not.toHaveProperty("stop");
    expect(body.max_completion_tokens).toBe(128_000);
    expect(await ledger(rig, id)).toMatchObject([{ status: "ok", model: "gpt-5-mini" }]);
  });

  it("cuts a streamed answer at the stop sequence too", async () => {
    rig.fake.enqueue({ text: "alpha beta END gamma delta" });
    const reply = await rig.post("/api/v1/completions", caller.token, {
      model: "gpt-5-mini",
      prompt: uniquePrompt("Letters, streamed"),
      temperature: 0.2,
      stop: "END",
      stream: true,
    });
    expect(reply.status).toBe(200);
    const body = bodyOf(rig.fake.requests[0]);
    expect(body.temperature).toBe(1);
    expect(body).not.toHaveProperty("stop");
    const events = parseSse(reply.text);
    const streamed = events
      .filter((e) => e.event === "delta")
      .map((e) => (e.data as { text: string }).text)
      .join("");
    expect(streamed).toBe("alpha beta ");
    expect(events.at(-1)).toMatchObject({ event: "done", data: { text: "alpha beta " } });
  });
});

describe("stop sequences the gateway applies itself, on a stream", () => {
  const streamed = async (text: string, stop: string[]) => {
    rig.fake.enqueue({ text });
    const reply = await rig.post("/api/v1/completions", caller.token, {
      model: "gpt-5-mini",
      prompt: uniquePrompt("Stream with stops"),
      stop,
      stream: true,
    });
    expect(reply.status).toBe(200);
    const events = parseSse(reply.text);
    const done = events.at(-1)!;
    expect(done.event).toBe("done");
    const sent = events
      .filter((e) => e.event === "delta")
      .map((e) => (e.data as { text: string }).text);
    expect(sent.every((piece) => piece.length > 0)).toBe(true);
    return { sent: sent.join(""), done: (done.data as CompletionBody).text };
  };

  it("catches a stop sequence split across deltas", async () => {
    // The fake sends "alpha ", "beta ", "END ", "gamma": "a END" spans two of them.
    const result = await streamed("alpha beta END gamma", ["zzz", "a END"]);
    expect(result).toEqual({ sent: "alpha bet", done: "alpha bet" });
  });

  it("sends held-back text when the stop sequence never completes", async () => {
    const result = await streamed("alpha beta delta", ["delta!"]);
    expect(result).toEqual({ sent: "alpha beta delta", done: "alpha beta delta" });
  });

  it("cuts at the earliest stop, whichever completes first", async () => {
    const result = await streamed("one two three four", ["three", "two three x", "four"]);
    expect(result).toEqual({ sent: "one two ", done: "one two " });
  });
});

describe("the demo model, with no provider key", () => {
  let demo: TestServer;
  let token: string;
  beforeAll(async () => {
    demo = await startTestServer({ env: { RATE_LIMIT_RPM: "100000" } });
    token = (await demo.token()).token;
  });
  afterAll(() => demo.close());

  const post = (body: unknown) =>
    demo.fetch("/api/v1/completions", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("answers offline, at no cost", async () => {
    const response = await post({ prompt: "What is 2 + 2?" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as CompletionBody;
    expect(body).toMatchObject({ model: "demo", provider: "demo", cached: false });
    expect(body.text).toContain("What is 2 + 2?");
    expect(body.usage.costUsd).toBe(0);
    expect(response.headers.get("x-officellm-provider")).toBe("demo");
  });

  it("streams, and answers structured output", async () => {
    const streamed = await post({ prompt: "Stream please", stream: true });
    expect(streamed.status).toBe(200);
    const events = parseSse(await streamed.text());
    const deltas = events.filter((e) => e.event === "delta");
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.at(-1)!;
    expect(done.event).toBe("done");
    const { text } = done.data as { text: string };
    expect(text).toMatch(/^\[demo\] .*Stream please/);
    expect(deltas.map((e) => (e.data as { text: string }).text).join("")).toBe(text);

    const json = await post({
      prompt: "A person",
      responseFormat: { type: "json", schema: personSchema },
    });
    expect(json.status).toBe(200);
    const value = ((await json.json()) as CompletionBody).json;
    expect(new Ajv({ strict: false }).validate(personSchema, value)).toBe(true);
  });

  it("refuses the catalog's models", async () => {
    const response = await post({ model: "gpt-4.1-mini", prompt: "hi" });
    expect(response.status).toBe(400);
  });
});
