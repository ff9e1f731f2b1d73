/**
 * Proves the fake provider speaks the providers' wire formats by driving it with the real
 * OpenAI, Anthropic and Google Gen AI SDKs.
 */
import Anthropic from "@anthropic-ai/sdk";
import { ApiError, GoogleGenAI } from "@google/genai";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { fakeTokenCount, startFakeProvider, type FakeProvider } from "./fake-provider.ts";

let fake: FakeProvider;
let openai: OpenAI;
let anthropic: Anthropic;
let google: GoogleGenAI;

beforeAll(async () => {
  fake = await startFakeProvider();
  openai = new OpenAI({ apiKey: "sk-test", baseURL: fake.openaiBaseUrl, maxRetries: 0 });
  anthropic = new Anthropic({
    apiKey: "sk-ant-test",
    baseURL: fake.anthropicBaseUrl,
    maxRetries: 0,
  });
  google = new GoogleGenAI({
    apiKey: "gemini-test",
    vertexai: false,
    httpOptions: { baseUrl: fake.geminiBaseUrl },
  });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

const personSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer", minimum: 1 },
    tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
    role: { anyOf: [{ type: "null" }, { $ref: "#/$defs/role" }] },
  },
  required: ["name", "age", "tags", "role"],
  additionalProperties: false,
  $defs: { role: { type: "string", enum: ["admin", "user"] } },
};

describe("fake provider, OpenAI wire format", () => {
  it("answers a plain chat completion with the echo and usage", async () => {
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("gpt-4o-mini");
    expect(completion.choices[0]?.message.content).toBe("echo: Hello there");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    const input = fakeTokenCount("Be brief.Hello there");
    const output = fakeTokenCount("echo: Hello there");
    expect(completion.usage).toMatchObject({
      prompt_tokens: input,
      completion_tokens: output,
      total_tokens: input + output,
    });

    const recorded = fake.requests[0];
    expect(recorded?.method).toBe("POST");
    expect(recorded?.path).toBe("/v1/chat/completions");
    expect(recorded?.provider).toBe("openai");
    expect(recorded?.headers.authorization).toBe("Bearer sk-test");
    expect(recorded?.body).toMatchObject({ model: "gpt-4o-mini" });
    expect(fake.calls).toEqual([
      expect.objectContaining({
        provider: "openai",
        model: "gpt-4o-mini",
        system: "Be brief.",
        messages: [{ role: "user", content: "Hello there" }],
        stream: false,
        request: recorded,
      }),
    ]);
  });

  it("streams deltas, a stop chunk, then usage when include_usage is set", async () => {
    fake.enqueue({ text: "one two three" });
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "count" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishReasons: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let roleSeen = false;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      for (const choice of chunk.choices) {
        if (choice.delta.role === "assistant") roleSeen = true;
        text += choice.delta.content ?? "";
        finishReasons.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(roleSeen).toBe(true);
    expect(text).toBe("one two three");
    expect(finishReasons.at(-1)).toBe("stop");
    expect(usage).toMatchObject({
      prompt_tokens: fakeTokenCount("count"),
      completion_tokens: fakeTokenCount("one two three"),
    });
  });

  it("works with the SDK's stream helper and without include_usage", async () => {
    const stream = openai.chat.completions.stream({
      model: "gpt-4o",
      messages: [{ role: "user", content: "stream helper" }],
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("echo: stream helper");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.usage ?? undefined).toBeUndefined();
  });

  it("answers JSON for json_schema (by default from the schema) and json_object", async () => {
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "who?" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "person", schema: personSchema, strict: true },
      },
    });
    expect(JSON.parse(completion.choices[0]?.message.content ?? "")).toEqual({
      name: "echo: who?",
      age: 1,
      tags: ["a"],
      role: "admin",
    });

    fake.enqueue({ json: { name: "Ada", age: 36, tags: [], role: null } });
    const parsed = await openai.chat.completions.parse({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "who?" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "person", schema: personSchema, strict: true },
      },
    });
    expect(parsed.choices[0]?.message.parsed).toEqual({
      name: "Ada",
      age: 36,
      tags: [],
      role: null,
    });

    const object = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "any json" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(object.choices[0]?.message.content ?? "")).toEqual({
      echo: "echo: any json",
    });
  });

  it("answers JSON that fits a zod 4 schema: formats, tuples, nullables, bounds", async () => {
    const schema = z.toJSONSchema(
      z.object({
        email: z.email(),
        when: z.iso.datetime(),
        pair: z.tuple([z.string(), z.number().int().min(3)]),
        note: z.string().min(10).nullable(),
        items: z.array(z.object({ id: z.uuid(), kind: z.enum(["x", "y"]) })).min(2),
      }),
    );
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "fill" }],
      response_format: { type: "json_schema", json_schema: { name: "form", schema } },
    });
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schema);
    const value: unknown = JSON.parse(completion.choices[0]?.message.content ?? "");
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it("answers a long prompt's schema with strings cut to 200 characters", async () => {
    const completion = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "é".repeat(300_000) }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "note",
          schema: { type: "object", properties: { note: { type: "string" } } },
        },
      },
    });
    const value = JSON.parse(completion.choices[0]?.message.content ?? "") as { note: string };
    expect(value.note).toBe(`echo: ${"é".repeat(194)}`);
  });

  it("answers 400 for a schema no bounded answer fits", async () => {
    const error = await openai.chat.completions
      .create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "fill" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "huge", schema: { type: "array", minItems: 10_000_000 } },
        },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/The fake cannot answer this schema/);
  });

  it("lists models", async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) {
      expect(model.object).toBe("model");
      ids.push(model.id);
    }
    expect(ids).toContain("gpt-4o-mini");
    // A model list is a request, not a completion call.
    expect(fake.requests).toHaveLength(1);
    expect(fake.calls).toEqual([]);
  });

  it("accepts a leading prefix before /v1", async () => {
    const prefixed = new OpenAI({
      apiKey: "sk-test",
      baseURL: `${fake.url}/openai/v1`,
      maxRetries: 0,
    });
    const completion = await prefixed.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "prefixed" }],
    });
    expect(completion.choices[0]?.message.content).toBe("echo: prefixed");
    expect(fake.requests[0]?.path).toBe("/openai/v1/chat/completions");
  });

  it("surfaces a 429 with Retry-After as RateLimitError", async () => {
    fake.enqueue({ status: 429, retryAfterSeconds: 7, message: "slow down" });
    const error = await openai.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.headers.get("retry-after")).toBe("7");
    expect(rateLimit.message).toContain("slow down");
    expect(rateLimit.code).toBe("rate_limit_exceeded");
  });

  it("surfaces 500, 503, 400 and 401 as the SDK's error classes", async () => {
    fake.enqueue(
      { status: 500 },
      { status: 503 },
      { status: 400, message: "bad" },
      { status: 401 },
    );
    const call = () =>
      openai.chat.completions
        .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })
        .catch((caught: unknown) => caught);
    expect(await call()).toBeInstanceOf(OpenAI.InternalServerError);
    expect(await call()).toMatchObject({ status: 503 });
    const badRequest = await call();
    expect(badRequest).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badRequest as Error).message).toContain("bad");
    expect(await call()).toBeInstanceOf(OpenAI.AuthenticationError);
    // The queue is used up: the next call answers normally.
    const ok = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "again" }],
    });
    expect(ok.choices[0]?.message.content).toBe("echo: again");
  });

  it("surfaces a reset as a connection error", async () => {
    fake.enqueue({ reset: true });
    const error = await openai.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(fake.aborted).toBe(0);
  });

  it("surfaces a cut stream as an error while iterating, after the first deltas", async () => {
    fake.enqueue({ cutStreamAfterChunks: 2, text: "alpha beta gamma delta" });
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe("alpha beta ");
    expect(fake.aborted).toBe(0);
  });

  it("counts a hung request aborted by the client", async () => {
    fake.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = openai.chat.completions
      .create(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
        { signal: controller.signal },
      )
      .catch((caught: unknown) => caught);
    await fake.waitForRequests(1);
    expect(fake.inflight).toBe(1);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await fake.waitForAborted(1);
    expect(fake.aborted).toBe(1);
    expect(fake.inflight).toBe(0);
  });

  it("goes silent after the headers and half a body, until the client gives up", async () => {
    fake.enqueue({ stallAfterChunks: 0, text: "never finished" });
    const controller = new AbortController();
    const response = await fetch(`${fake.openaiBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const first = await response.body!.getReader().read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^\{"id":"chatcmpl-fake/);
    expect(fake.inflight).toBe(1);
    controller.abort();
    await fake.waitForAborted(1);
  });

  it("goes silent in a stream after its first deltas, until the client gives up", async () => {
    fake.enqueue({ stallAfterChunks: 1, text: "first second third" });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], stream: true },
      { signal: controller.signal },
    );
    const deltas: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) deltas.push(delta);
      if (deltas.length === 1) controller.abort();
    }
    expect(deltas).toEqual(["first "]);
    await fake.waitForAborted(1);
  });

  it("uses the responder when nothing is queued, the queue first", async () => {
    fake.setResponder((call) => ({ text: `${call.model}:${call.lastUserText.toUpperCase()}` }));
    fake.enqueue({ text: "queued" });
    const ask = async (content: string) =>
      (
        await openai.chat.completions.create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content }],
        })
      ).choices[0]?.message.content;
    expect(await ask("first")).toBe("queued");
    expect(await ask("second")).toBe("gpt-4o-mini:SECOND");
    fake.setResponder(undefined);
    expect(await ask("third")).toBe("echo: third");
  });
});

describe("fake provider, Anthropic wire format", () => {
  it("answers messages.create with text and usage", async () => {
    const message = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "Bonjour" }] }],
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.stop_reason).toBe("end_turn");
    expect(message.content).toEqual([{ type: "text", text: "echo: Bonjour" }]);
    expect(message.usage).toMatchObject({
      input_tokens: fakeTokenCount("Be brief.Bonjour"),
      output_tokens: fakeTokenCount("echo: Bonjour"),
    });
    const recorded = fake.requests[0];
    expect(recorded?.path).toBe("/v1/messages");
    expect(recorded?.provider).toBe("anthropic");
    // Anthropic SDK 1.x sends the API key as a bearer token, not as `x-api-key`.
    expect(recorded?.headers.authorization).toBe("Bearer sk-ant-test");
    expect(recorded?.headers["anthropic-version"]).toBeTruthy();
  });

  it("streams with messages.stream: text deltas and the final message", async () => {
    fake.enqueue({ text: "streamed words here" });
    const stream = anthropic.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      messages: [{ role: "user", content: "go" }],
    });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(deltas.join("")).toBe("streamed words here");
    expect(deltas.length).toBe(3);
    expect(final.content).toEqual([{ type: "text", text: "streamed words here" }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.input_tokens).toBe(fakeTokenCount("go"));
    expect(final.usage.output_tokens).toBe(fakeTokenCount("streamed words here"));
  });

  it("streams raw events with messages.create({stream: true})", async () => {
    const stream = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      messages: [{ role: "user", content: "raw" }],
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });

  it("answers JSON for output_config.format json_schema", async () => {
    const message = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      messages: [{ role: "user", content: "who?" }],
      output_config: { format: { type: "json_schema", schema: personSchema } },
    });
    const block = message.content[0];
    expect(block?.type).toBe("text");
    expect(JSON.parse(block?.type === "text" ? block.text : "")).toEqual({
      name: "echo: who?",
      age: 1,
      tags: ["a"],
      role: "admin",
    });
  });

  it("lists models in Anthropic's format", async () => {
    const ids: string[] = [];
    for await (const model of anthropic.models.list()) ids.push(model.id);
    expect(ids).toContain("claude-sonnet-4-6");
  });

  it("surfaces a 429 with Retry-After as RateLimitError, in Anthropic's error format", async () => {
    fake.enqueue({ status: 429, retryAfterSeconds: 3 });
    const error = await anthropic.messages
      .create({
        model: "claude-sonnet-4-6",
        max_tokens: 16,
        messages: [{ role: "user", content: "x" }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const rateLimit = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rateLimit.headers.get("retry-after")).toBe("3");
    expect(rateLimit.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });

  it("surfaces 529-style overload and 401 as the SDK's error classes", async () => {
    fake.enqueue({ status: 503 }, { status: 401 });
    const call = () =>
      anthropic.messages
        .create({
          model: "claude-sonnet-4-6",
          max_tokens: 16,
          messages: [{ role: "user", content: "x" }],
        })
        .catch((caught: unknown) => caught);
    expect(await call()).toBeInstanceOf(Anthropic.InternalServerError);
    expect(await call()).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("surfaces a reset as a connection error", async () => {
    fake.enqueue({ reset: true });
    const error = await anthropic.messages
      .create({
        model: "claude-sonnet-4-6",
        max_tokens: 16,
        messages: [{ role: "user", content: "x" }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it("surfaces a cut stream as an error", async () => {
    fake.enqueue({ cutStreamAfterChunks: 1, text: "first second third" });
    const stream = anthropic.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      messages: [{ role: "user", content: "x" }],
    });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Error);
    expect(deltas).toEqual(["first "]);
  });

  it("counts a hung stream aborted by the client", async () => {
    fake.enqueue({ hang: true });
    const controller = new AbortController();
    const stream = anthropic.messages.stream(
      { model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "x" }] },
      { signal: controller.signal },
    );
    const settled = stream.finalMessage().catch((caught: unknown) => caught);
    await fake.waitForRequests(1);
    expect(fake.inflight).toBe(1);
    controller.abort();
    expect(await settled).toBeInstanceOf(Anthropic.APIUserAbortError);
    await fake.waitForAborted(1);
  });
});

describe("fake provider, Gemini wire format", () => {
  it("answers generateContent with the echo and usage", async () => {
    const response = await google.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Hello there",
      config: { systemInstruction: "Be brief." },
    });
    expect(response.text).toBe("echo: Hello there");
    expect(response.candidates?.[0]?.finishReason).toBe("STOP");
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: fakeTokenCount("Be brief.Hello there"),
      candidatesTokenCount: fakeTokenCount("echo: Hello there"),
    });
    expect(fake.calls[0]).toMatchObject({
      provider: "gemini",
      model: "gemini-2.5-flash",
      system: "Be brief.",
      stream: false,
    });
    expect(fake.requests[0]?.headers["x-goog-api-key"]).toBe("gemini-test");
  });

  it("streams with generateContentStream: text pieces, then the finish reason and usage", async () => {
    const stream = await google.models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "Tell me more",
    });
    let text = "";
    let finish: string | undefined;
    for await (const chunk of stream) {
      text += chunk.candidates?.[0]?.content?.parts?.map((part) => part.text ?? "").join("") ?? "";
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    expect(text).toBe("echo: Tell me more");
    expect(finish).toBe("STOP");
    expect(fake.calls[0]?.stream).toBe(true);
  });

  it("answers JSON for responseJsonSchema, and function calls", async () => {
    const response = await google.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Who?",
      config: { responseMimeType: "application/json", responseJsonSchema: personSchema },
    });
    const ajv = new Ajv2020();
    expect(ajv.validate(personSchema, JSON.parse(response.text ?? ""))).toBe(true);

    fake.enqueue({ toolCalls: [{ name: "lookup", arguments: { q: "x" } }] });
    const called = await google.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Look it up",
    });
    expect(called.functionCalls).toEqual([{ name: "lookup", args: { q: "x" } }]);
  });

  it("surfaces errors in Google's format, a 429 with its RetryInfo", async () => {
    fake.enqueue({ status: 429, retryAfterSeconds: 12 });
    const error = await google.models
      .generateContent({ model: "gemini-2.5-flash", contents: "Busy?" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect(JSON.parse((error as ApiError).message)).toMatchObject({
      error: {
        code: 429,
        status: "RESOURCE_EXHAUSTED",
        details: [{ retryDelay: "12s" }],
      },
    });
  });
});

describe("fake provider, timing", () => {
  it("delays answers by latencyMs and streams with chunkDelayMs, through its schedule", async () => {
    // The delays are asked of the schedule, which here lets each pass at once.
    const delays: number[] = [];
    const slow = await startFakeProvider({
      latencyMs: 60,
      chunkDelayMs: 20,
      schedule: (ms, run) => {
        delays.push(ms);
        setImmediate(run);
      },
    });
    try {
      const client = new OpenAI({ apiKey: "sk-test", baseURL: slow.openaiBaseUrl, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "a b c" }],
        stream: true,
      });
      let text = "";
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta.content ?? "";
      }
      expect(text).toBe("echo: a b c");
      // The answer waited latencyMs; each event after the first waited chunkDelayMs.
      expect(delays[0]).toBe(60);
      expect(delays.slice(1)).toEqual(Array.from({ length: delays.length - 1 }, () => 20));
      expect(delays.length).toBeGreaterThanOrEqual(chunks);
    } finally {
      await slow.close();
    }
  });

  it("counts a client abort in the middle of a slow stream", async () => {
    // The stream's later events wait on a schedule that never runs them: it stays midway.
    const slow = await startFakeProvider({ chunkDelayMs: 50, schedule: () => {} });
    try {
      const client = new OpenAI({ apiKey: "sk-test", baseURL: slow.openaiBaseUrl, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "many words to stream slowly here" }],
        stream: true,
      });
      for await (const _chunk of stream) break;
      await slow.waitForAborted(1);
      expect(slow.aborted).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it("closes while a request hangs", async () => {
    const other = await startFakeProvider();
    other.enqueue({ hang: true });
    const pending = fetch(`${other.openaiBaseUrl}/chat/completions`, {
      method: "POST",
      body: "{}",
    }).catch((caught: unknown) => caught);
    await other.waitForRequests(1);
    expect(other.inflight).toBe(1);
    await other.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(other.aborted).toBe(0);
  });
});
