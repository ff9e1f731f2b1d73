import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { createGateway } from "../llm/gateway.ts";
import { fakeTokenCount, startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { catalogNanoUsd, readChatStream } from "../test/llm-rig.ts";

/** An OpenAI client pointed at the gateway, with an OfficeLLM token as its API key. */
function clientFor(server: TestServer, token: string): OpenAI {
  return new OpenAI({ apiKey: token, baseURL: `${server.url}/v1`, maxRetries: 0 });
}

/** The `data:` payloads of a server-sent event stream, in order. */
function dataLines(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
}

function rawChat(server: TestServer, token: string, body: Record<string, unknown>) {
  return server.fetch("/v1/chat/completions", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("the OpenAI-compatible API with the offline demo provider", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
    });
  });
  afterAll(() => server.close());

  it("answers a chat completion in OpenAI's format, with usage and our headers", async () => {
    const { id, token } = await server.token();
    const { data, response } = await clientFor(server, token)
      .chat.completions.create({
        model: "demo",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "What is 2 + 2?" },
        ],
      })
      .withResponse();

    expect(data).toEqual({
      id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]+$/),
      object: "chat.completion",
      created: Math.floor(server.clock.now().getTime() / 1000),
      model: "demo",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: expect.any(String), refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
      system_fingerprint: null,
    });
    expect(data.choices[0]!.message.content).toMatch(/^\[demo\] You asked: "What is 2 \+ 2\?"/);
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(
      data.usage!.prompt_tokens + data.usage!.completion_tokens,
    );
    expect(response.headers.get("x-officellm-cache")).toBe("miss");
    expect(response.headers.get("x-officellm-model")).toBe("demo");
    expect(response.headers.get("x-officellm-provider")).toBe("demo");
    expect(response.headers.get("x-request-id")).toBeTruthy();

    const rows = await server.store.usage.listForToken(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      model: "demo",
      status: "ok",
      cached: 0,
      input_tokens: data.usage!.prompt_tokens,
      output_tokens: data.usage!.completion_tokens,
    });
  });

  it("accepts OpenAI fields it does not need, nulls, developer messages and text parts", async () => {
    const { token } = await server.token();
    const completion = await clientFor(server, token).chat.completions.create({
      model: "demo",
      messages: [
        { role: "developer", content: "Answer in French." },
        { role: "user", content: "Earlier question" },
        { role: "assistant", content: [{ type: "text", text: "Earlier answer" }] },
        {
          role: "user",
          content: [
            { type: "text", text: "Hello" },
            { type: "text", text: "world" },
          ],
          name: "alice",
        },
      ],
      n: 1,
      user: "alice@example.com",
      seed: 7,
      top_p: 0.9,
      presence_penalty: 0.1,
      frequency_penalty: 0.1,
      logprobs: false,
      logit_bias: {},
      parallel_tool_calls: false,
      tool_choice: "none",
      metadata: { sheet: "Q3" },
      store: false,
      service_tier: "auto",
      max_tokens: 200,
      max_completion_tokens: 100,
      stop: "\n\n\n",
      temperature: null,
      response_format: { type: "text" },
    });
    expect(completion.choices[0]!.message.content).toContain('You asked: "Hello world"');
  });

  it("streams deltas that join to the whole answer, then the usage chunk and [DONE]", async () => {
    const { id, token } = await server.token();
    const client = clientFor(server, token);
    const messages = [{ role: "user" as const, content: "Stream me a sentence" }];
    const whole = await client.chat.completions.create({ model: "demo", messages });

    const stream = await client.chat.completions.create({
      model: "demo",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.length).toBeGreaterThan(3);
    const [first] = chunks;
    expect(first!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: first!.id,
        object: "chat.completion.chunk",
        model: "demo",
        created: first!.created,
      });
    }
    expect(first!.id).toMatch(/^chatcmpl-/);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(whole.choices[0]!.message.content);
    // More than one content delta: the answer really streamed.
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);

    const finish = chunks.at(-2)!;
    expect(finish.choices).toEqual([
      { index: 0, delta: {}, logprobs: null, finish_reason: "stop" },
    ]);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual(whole.usage);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();

    expect(await server.store.usage.listForToken(id)).toHaveLength(2);
  });

  it("ends the raw stream with data: [DONE], and sends no usage chunk unless asked", async () => {
    const { token } = await server.token();
    const response = await rawChat(server, token, {
      model: "demo",
      messages: [{ role: "user", content: "Raw stream" }],
      stream: true,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-officellm-cache")).toBe("miss");
    expect(response.headers.get("x-officellm-model")).toBe("demo");
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const lines = dataLines(text);
    expect(lines.filter((line) => line === "[DONE]")).toHaveLength(1);
    const chunks = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const chunk of chunks) {
      expect(chunk).not.toHaveProperty("usage");
      expect(chunk.choices).toHaveLength(1);
    }
    expect(text).not.toMatch(/^event:/m);
  });

  it("lists and retrieves the models in OpenAI's format", async () => {
    const { token } = await server.token();
    const client = clientFor(server, token);
    const models: OpenAI.Models.Model[] = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models).toEqual([
      { id: "demo", object: "model", created: 0, owned_by: "demo" },
      { id: "demo-embedding", object: "model", created: 0, owned_by: "demo" },
    ]);
    expect(await client.models.retrieve("demo")).toEqual(models[0]);
    const missing = await rejection(client.models.retrieve("gpt-9"));
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("makes the SDK throw AuthenticationError with our message for a bad token", async () => {
    const client = clientFor(server, `ollm_${"A".repeat(43)}`);
    for (const call of [
      client.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "x" }] }),
      client.models.list(),
    ]) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
      expect(apiError.status).toBe(401);
      expect(apiError.message).toMatch(/^401 .*not valid/);
      expect(apiError.code).toBe("unauthorized");
      expect(apiError.requestID).toBeTruthy();
    }
  });

  it("makes the SDK throw BadRequestError for an unknown model, recording nothing", async () => {
    const { id, token } = await server.token();
    const error = await rejection(
      clientFor(server, token).chat.completions.create({
        model: "gpt-does-not-exist",
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/Unknown model 'gpt-does-not-exist'.*demo/);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("unknown_model");
    expect(await server.store.usage.listForToken(id)).toEqual([]);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ["n: 2", { n: 2 }, /body\.n: only one choice/],
    [
      "legacy functions",
      { functions: [{ name: "f", parameters: {} }] },
      /body\.functions: functions \(the legacy function calling; send tools\) is not supported/,
    ],
    ["an unknown tool_choice", { tool_choice: "sometimes" }, /body\.tool_choice/],
    ["audio output", { modalities: ["text", "audio"] }, /body\.modalities\.1/],
    [
      "an audio part",
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
            ],
          },
        ],
      },
      /body\.messages\.0\.content\.1\.type: only text and image_url parts are supported, not 'input_audio'/,
    ],
    [
      "an image at an http: URL",
      {
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "http://example.com/a.png" } }],
          },
        ],
      },
      /body\.messages\.0\.content\.0\.image_url\.url: must be an https: URL/,
    ],
    [
      "a tool message without its call's id",
      { messages: [{ role: "tool", content: "42" }] },
      /body\.messages\.0\.tool_call_id: is required on a tool message/,
    ],
    ["a missing model", { model: undefined }, /body\.model/],
    [
      "only a system message",
      { messages: [{ role: "system", content: "hi" }] },
      /needs at least one user or assistant message/,
    ],
    ["an unknown response format", { response_format: { type: "xml" } }, /body\.response_format/],
  ];
  for (const [label, change, message] of refused) {
    it(`refuses ${label} with 400 invalid_request naming the field`, async () => {
      const { id, token } = await server.token();
      const body = {
        model: "demo",
        messages: [{ role: "user", content: "Hello" }],
        ...change,
      } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      const error = await rejection(clientFor(server, token).chat.completions.create(body));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(apiError.message).toMatch(message);
      expect(apiError.error).toMatchObject({
        code: "invalid_request",
        requestId: expect.any(String),
      });
      expect(await server.store.usage.listForToken(id)).toEqual([]);
    });
  }

  it("refuses an image to the demo model, which reads text only: 400 vision_unsupported", async () => {
    const { id, token } = await server.token();
    const error = await rejection(
      clientFor(server, token).chat.completions.create({
        model: "demo",
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }],
          },
        ],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/demo does not read images/);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("vision_unsupported");
    expect(await server.store.usage.listForToken(id)).toEqual([]);
  });

  it("answers a second identical call at temperature 0 from the cache, at no cost", async () => {
    const { id, token } = await server.token();
    const client = clientFor(server, token);
    const params = {
      model: "demo",
      temperature: 0,
      messages: [{ role: "user" as const, content: "Cache this answer please" }],
    };
    const first = await client.chat.completions.create(params).withResponse();
    const second = await client.chat.completions.create(params).withResponse();
    expect(first.response.headers.get("x-officellm-cache")).toBe("miss");
    expect(second.response.headers.get("x-officellm-cache")).toBe("hit");
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.id).not.toBe(first.data.id);

    // A stream of the same request is served from the cache too.
    const streamed = await client.chat.completions
      .create({ ...params, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(streamed.response.headers.get("x-officellm-cache")).toBe("hit");
    let text = "";
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(first.data.choices[0]!.message.content);

    const rows = await server.store.usage.listForToken(id);
    expect(rows.map((row) => [row.cached, row.cost_nano_usd, row.status])).toEqual([
      [0, 0, "ok"],
      [1, 0, "ok"],
      [1, 0, "ok"],
    ]);
  });

  it("maps json_object and json_schema response formats to JSON answers", async () => {
    const { token } = await server.token();
    const client = clientFor(server, token);
    const object = await client.chat.completions.create({
      model: "demo",
      messages: [{ role: "user", content: "Give me JSON" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(object.choices[0]!.message.content!)).toMatchObject({ demo: true });

    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer", minimum: 1 } },
      required: ["city", "population"],
      additionalProperties: false,
    };
    const typed = await client.chat.completions.create({
      model: "demo",
      messages: [{ role: "user", content: "Largest city of France?" }],
      response_format: { type: "json_schema", json_schema: { name: "city", schema, strict: true } },
    });
    expect(JSON.parse(typed.choices[0]!.message.content!)).toEqual({
      city: "demo",
      population: 1,
    });
  });
});

describe("the OpenAI-compatible API in front of a real upstream", () => {
  const upstreamKey = "sk-upstream-secret-123456789";
  let fake: FakeProvider;
  let server: TestServer;
  let token: string;
  let tokenId: string;
  let client: OpenAI;
  /** Every response's headers and body text, to search for the upstream key. */
  const seen: string[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider();
    const env = {
      OPENAI_API_KEY: upstreamKey,
      OPENAI_BASE_URL: fake.openaiBaseUrl,
      LLM_MAX_RETRIES: "0",
      LOG_LEVEL: "debug",
      AUTH_FAILURES_PER_MINUTE: "100000",
      RATE_LIMIT_RPM: "100000",
    };
    const gateway = await createGateway(loadConfig(env));
    server = await startTestServer({ env, gateway });
    ({ id: tokenId, token } = await server.token());
    client = new OpenAI({
      apiKey: token,
      baseURL: `${server.url}/v1`,
      maxRetries: 0,
      // Keep a copy of everything the gateway sends back.
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        const copy = response.clone();
        seen.push(JSON.stringify([...copy.headers]), await copy.text());
        return response;
      },
    });
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  /** The completion requests the fake received. */
  const upstreamCalls = () => fake.requests.filter((r) => r.path.endsWith("/chat/completions"));

  /** The call with this usage has its ledger row, billed at the catalog's price. */
  async function expectBilled(usage: OpenAI.CompletionUsage) {
    const rows = await server.store.usage.listForToken(tokenId);
    const row = rows.find(
      (each) =>
        each.input_tokens === usage.prompt_tokens && each.output_tokens === usage.completion_tokens,
    );
    expect(row).toMatchObject({
      provider: "openai",
      model: "gpt-4.1-mini",
      input_tokens: usage.prompt_tokens,
      output_tokens: usage.completion_tokens,
      cached: 0,
      status: "ok",
    });
    expect(row!.cost_nano_usd).toBe(
      catalogNanoUsd("gpt-4.1-mini", usage.prompt_tokens, usage.completion_tokens),
    );
  }

  it("completes through the gateway with the upstream key, never the OfficeLLM token", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: "gpt-4.1-mini",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "hello upstream" },
        ],
        max_tokens: 50,
        temperature: 0.2,
        stop: ["END"],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("echo: hello upstream");
    expect(data.model).toBe("gpt-4.1-mini");
    expect(data.usage!.completion_tokens).toBe(fakeTokenCount("echo: hello upstream"));
    expect(response.headers.get("x-officellm-provider")).toBe("openai");
    expect(response.headers.get("x-officellm-model")).toBe("gpt-4.1-mini");

    const [call, ...more] = upstreamCalls();
    expect(more).toEqual([]);
    expect(call!.headers.authorization).toBe(`Bearer ${upstreamKey}`);
    expect(call!.body).toMatchObject({
      model: "gpt-4.1-mini",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "hello upstream" },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
      stop: ["END"],
    });
    expect(JSON.stringify(call)).not.toContain(token);
    await expectBilled(data.usage!);
  });

  it("streams through the gateway", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-4.1-mini",
      messages: [{ role: "user", content: "stream several words back to me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await readChatStream(stream);
    expect(text).toBe("echo: stream several words back to me");
    expect(finish).toBe("stop");
    expect(usage).toEqual({
      prompt_tokens: fakeTokenCount("stream several words back to me"),
      completion_tokens: fakeTokenCount(text),
      total_tokens: fakeTokenCount("stream several words back to me") + fakeTokenCount(text),
    });
    const [call] = upstreamCalls();
    expect(call!.body).toMatchObject({ model: "gpt-4.1-mini", stream: true });
    expect(call!.headers.authorization).toBe(`Bearer ${upstreamKey}`);
    await expectBilled(usage!);
  });

  it("passes response_format json_schema upstream as json_schema, and the answer parses", async () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string" },
        population: { type: "integer", minimum: 1 },
        tags: { type: "array", items: { type: "string" } },
      },
      required: ["city", "population", "tags"],
      additionalProperties: false,
    };
    const completion = await client.chat.completions.create({
      model: "gpt-4.1-mini",
      messages: [{ role: "user", content: "Paris" }],
      response_format: { type: "json_schema", json_schema: { name: "city", schema, strict: true } },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({
      city: "echo: Paris",
      population: 1,
      tags: ["echo: Paris"],
    });
    const [call] = upstreamCalls();
    const format = (call!.body as { response_format: unknown }).response_format;
    expect(format).toMatchObject({ type: "json_schema", json_schema: { schema } });
  });

  it("reports an upstream failure after the stream began as one data: error line", async () => {
    fake.enqueue({ cutStreamAfterChunks: 2 });
    const response = await rawChat(server, token, {
      model: "gpt-4.1-mini",
      messages: [{ role: "user", content: "this answer will be cut short" }],
      stream: true,
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    seen.push(JSON.stringify([...response.headers]), text);
    const lines = dataLines(text);
    expect(lines).not.toContain("[DONE]");
    const last = JSON.parse(lines.at(-1)!) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({
      code: "upstream_error",
      message: expect.any(String),
      requestId: response.headers.get("x-request-id"),
    });

    // The SDK surfaces it as an APIError.
    fake.enqueue({ cutStreamAfterChunks: 2 });
    const stream = await client.chat.completions.create({
      model: "gpt-4.1-mini",
      messages: [{ role: "user", content: "this answer will be cut short" }],
      stream: true,
    });
    const error = await rejection(
      (async () => {
        for await (const _chunk of stream);
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/openai/);
  });

  it("never shows the upstream key: not in answers, errors, headers or logs", async () => {
    fake.enqueue(
      { status: 401, message: `Incorrect API key provided: ${upstreamKey}.` },
      { status: 400, message: `Bad request made with key ${upstreamKey}` },
    );
    for (const status of [502, 502]) {
      const error = await rejection(
        client.chat.completions.create({
          model: "gpt-4.1-mini",
          messages: [{ role: "user", content: "fail please" }],
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
      expect((error as Error).message).not.toContain(upstreamKey);
    }
    expect(upstreamCalls()).toHaveLength(2);

    const listed: string[] = [];
    for await (const model of client.models.list()) listed.push(model.id);
    expect(listed).toContain("gpt-4.1-mini");
    expect(listed).not.toContain("demo");

    expect(seen.length).toBeGreaterThan(10);
    for (const text of seen) expect(text).not.toContain(upstreamKey);
    expect(server.logs.text).toContain("/v1/chat/completions");
    expect(server.logs.text).not.toContain(upstreamKey);
    expect(server.logs.text).not.toContain("sk-upstream");
  });
});
