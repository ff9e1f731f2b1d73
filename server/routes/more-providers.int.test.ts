/**
 * Gemini (through Google's SDK) and the hosted OpenAI-compatible presets (Mistral, DeepSeek, Groq,
 * OpenRouter) behind /v1/chat/completions, with the official `openai` client as the caller and
 * the fake provider speaking each wire format over real HTTP: answers plain and streamed, JSON
 * schema output, function calls, errors, each call billed at its catalog price.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeTokenCount, startFakeProvider, type FakeProvider } from "../test/fake-provider.ts";
import type { TestServer } from "../test/harness.ts";
import {
  bodyOf,
  catalogNanoUsd,
  startGatewayServer,
  readChatStream,
  uniquePrompt,
  weatherTool,
} from "../test/llm-rig.ts";
import { TestSleep } from "../test/test-sleep.ts";

const GEMINI_KEY = "AIzaSyUpstreamGemini7c1e9a4b2d8f6e0a";
const presets = [
  {
    name: "mistral",
    prefix: "MISTRAL",
    key: "mistral-upstream-4b8d1f0c9e2a",
    model: "mistral-small-latest",
  },
  {
    name: "deepseek",
    prefix: "DEEPSEEK",
    key: "sk-deepseek-upstream-9a3c7e1b",
    model: "deepseek-chat",
  },
  {
    name: "groq",
    prefix: "GROQ",
    key: "gsk_upstream_2e6f0a8c4d1b9e7f",
    model: "llama-3.1-8b-instant",
  },
  {
    name: "openrouter",
    prefix: "OPENROUTER",
    key: "sk-or-v1-upstream-5d2b8e0f3a7c",
    model: "openai/gpt-4o-mini",
  },
];

let fake: FakeProvider;
let server: TestServer;
const sleep = new TestSleep();
let caller: { id: string; token: string };
const client = () =>
  new OpenAI({ apiKey: caller.token, baseURL: `${server.url}/v1`, maxRetries: 0 });
const rows = () => server.store.usage.listForToken(caller.id);

beforeAll(async () => {
  fake = await startFakeProvider();
  const env: Record<string, string> = {
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: fake.geminiBaseUrl,
  };
  for (const preset of presets) {
    env[`${preset.prefix}_API_KEY`] = preset.key;
    env[`${preset.prefix}_BASE_URL`] = `${fake.url}/${preset.name}/v1`;
  }
  server = await startGatewayServer(fake, env, { sleep: sleep.sleep });
  caller = await server.token({ name: "providers test", scopes: ["llm"] });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

const model = "gemini-2.5-flash";

describe("Gemini through /v1/chat/completions", () => {
  it("answers with Google's SDK: system prompt, parameters, key, usage billed at its price", async () => {
    fake.reset();
    const question = uniquePrompt("What is 2+2?");
    const before = (await rows()).length;
    const completion = await client().chat.completions.create({
      model,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: question },
      ],
      temperature: 0.2,
      max_tokens: 100,
      stop: ["END"],
    });
    expect(completion.choices[0]?.message.content).toBe(`echo: ${question}`);
    expect(completion.choices[0]?.finish_reason).toBe("stop");

    const request = fake.requests.at(-1)!;
    expect(request.path).toBe(`/v1beta/models/${model}:generateContent`);
    expect(request.headers["x-goog-api-key"]).toBe(GEMINI_KEY);
    const body = bodyOf(request);
    expect(body.systemInstruction).toMatchObject({ parts: [{ text: "Be brief." }] });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: question }] }]);
    expect(body.generationConfig).toEqual({
      temperature: 0.2,
      maxOutputTokens: 100,
      stopSequences: ["END"],
    });

    const usage = {
      input: fakeTokenCount(`Be brief.${question}`),
      output: fakeTokenCount(`echo: ${question}`),
    };
    expect(completion.usage).toMatchObject({
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
    });
    const ledger = await rows();
    expect(ledger).toHaveLength(before + 1);
    expect(ledger.at(-1)).toMatchObject({
      provider: "gemini",
      model,
      input_tokens: usage.input,
      output_tokens: usage.output,
      cost_nano_usd: catalogNanoUsd(model, usage.input, usage.output),
      status: "ok",
      key_label: "default",
    });
  });

  it("shows it images: a data: URL as inline data, an https: URL as file data", async () => {
    fake.reset();
    const png =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    const chart = "https://images.example.com/chart.webp";
    const completion = await client().chat.completions.create({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } },
            { type: "image_url", image_url: { url: chart } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe(
      `echo: Compare [images: image/png base64 (${png.length} chars), ${chart}]`,
    );
    expect(bodyOf(fake.requests.at(-1)!).contents).toEqual([
      {
        role: "user",
        parts: [
          { text: "Compare" },
          { inlineData: { mimeType: "image/png", data: png } },
          { fileData: { fileUri: chart, mimeType: "image/webp" } },
        ],
      },
    ]);
  });

  it("streams, over Google's server-sent events, with the usage", async () => {
    fake.reset();
    const question = uniquePrompt("Tell me a short story");
    const stream = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: question }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await readChatStream(stream);
    expect(text).toBe(`echo: ${question}`);
    expect(finish).toBe("stop");
    expect(fake.requests.at(-1)?.path).toBe(`/v1beta/models/${model}:streamGenerateContent`);
    const output = fakeTokenCount(`echo: ${question}`);
    expect(usage).toMatchObject({
      prompt_tokens: fakeTokenCount(question),
      completion_tokens: output,
    });
    expect((await rows()).at(-1)).toMatchObject({
      model,
      cost_nano_usd: catalogNanoUsd(model, fakeTokenCount(question), output),
    });
  });

  it("asks for JSON with the schema as responseJsonSchema, and answers JSON that fits", async () => {
    fake.reset();
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer" } },
      required: ["city", "population"],
      additionalProperties: false,
    };
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("The largest city of France?") }],
      response_format: { type: "json_schema", json_schema: { name: "city", schema } },
    });
    const answer = JSON.parse(completion.choices[0]?.message.content ?? "") as Record<
      string,
      unknown
    >;
    expect(Object.keys(answer).sort()).toEqual(["city", "population"]);
    expect(bodyOf(fake.requests.at(-1)).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
  });

  it("waits as Google's 429 says (RetryInfo), then retries", async () => {
    fake.reset();
    sleep.asked.length = 0;
    fake.enqueue({ status: 429, retryAfterSeconds: 3 });
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("Busy?") }],
    });
    expect(completion.choices[0]?.message.content).toMatch(/^echo: Busy\?/);
    expect(sleep.asked).toEqual([3000]);
    expect(fake.requests).toHaveLength(2);
  });

  it("passes Google's 400 on as upstream_error with Google's words, without retrying", async () => {
    fake.reset();
    fake.enqueue({ status: 400, message: "Invalid value at 'contents[0]' (fake)." });
    const error = await client()
      .chat.completions.create({
        model,
        messages: [{ role: "user", content: uniquePrompt("Bad?") }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(String((error as Error).message)).toContain("Invalid value at 'contents[0]' (fake).");
    expect(String((error as Error).message)).not.toContain(GEMINI_KEY);
    expect(fake.requests).toHaveLength(1);
  });

  it("translates tools to functionDeclarations and back, results as functionResponse", async () => {
    fake.reset();
    fake.enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] });
    const question = uniquePrompt("Weather in Paris?");
    const first = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: question }],
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message
      .tool_calls?.[0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect([call.function.name, JSON.parse(call.function.arguments)]).toEqual([
      "get_weather",
      { city: "Paris" },
    ]);
    expect(call.id).toMatch(/^call_/);
    const asked = bodyOf(fake.requests.at(-1));
    expect(asked.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "The weather in a city",
            parametersJsonSchema: weatherTool.function.parameters,
          },
        ],
      },
    ]);
    expect(asked.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] },
    });

    const second = await client().chat.completions.create({
      model,
      tools: [weatherTool],
      messages: [
        { role: "user", content: question },
        choice.message as OpenAI.Chat.ChatCompletionAssistantMessageParam,
        { role: "tool", tool_call_id: call.id, content: "Paris: 21°C" },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(bodyOf(fake.requests.at(-1)).contents).toEqual([
      { role: "user", parts: [{ text: question }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "get_weather", args: { city: "Paris" } },
            thoughtSignature: "skip_thought_signature_validator",
          },
        ],
      },
      {
        role: "user",
        parts: [{ functionResponse: { name: "get_weather", response: { output: "Paris: 21°C" } } }],
      },
    ]);
  });

  it("streams function calls", async () => {
    fake.reset();
    fake.enqueue({ toolCalls: [{ name: "get_weather", arguments: { city: "Lyon" } }] });
    const stream = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("Weather in Lyon?") }],
      tools: [weatherTool],
      stream: true,
    });
    const calls: { name?: string; arguments?: string }[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      finish = chunk.choices[0]?.finish_reason ?? finish;
      for (const part of chunk.choices[0]?.delta.tool_calls ?? []) calls.push(part.function ?? {});
    }
    expect(finish).toBe("tool_calls");
    expect(calls.map((part) => part.name).filter(Boolean)).toEqual(["get_weather"]);
    expect(JSON.parse(calls.map((part) => part.arguments ?? "").join(""))).toEqual({
      city: "Lyon",
    });
  });
});

describe.each(presets)("the $name preset", (preset) => {
  it("sends its models to its base URL with its key, billed at its price", async () => {
    fake.reset();
    const question = uniquePrompt("Hello?");
    const completion = await client().chat.completions.create({
      model: preset.model,
      messages: [{ role: "user", content: question }],
      max_tokens: 50,
    });
    expect(completion.choices[0]?.message.content).toBe(`echo: ${question}`);
    const request = fake.requests.at(-1)!;
    expect(request.path).toBe(`/${preset.name}/v1/chat/completions`);
    expect(request.headers.authorization).toBe(`Bearer ${preset.key}`);
    expect(bodyOf(request)).toMatchObject({ model: preset.model, max_tokens: 50 });
    const input = fakeTokenCount(question);
    const output = fakeTokenCount(`echo: ${question}`);
    expect((await rows()).at(-1)).toMatchObject({
      provider: preset.name,
      model: preset.model,
      cost_nano_usd: catalogNanoUsd(preset.model, input, output),
      key_label: "default",
    });
  });
});

it("asks a model without json_schema (DeepSeek) for a JSON object, the schema in words", async () => {
  fake.reset();
  const schema = {
    type: "object",
    properties: { answer: { type: "string" } },
    required: ["answer"],
  };
  // The fake knows no schema in json_object mode: the answer a model following the words gives.
  fake.enqueue({ json: { answer: "yes" } });
  const completion = await client().chat.completions.create({
    model: "deepseek-chat",
    messages: [{ role: "user", content: uniquePrompt("Say yes") }],
    response_format: { type: "json_schema", json_schema: { name: "yes", schema } },
  });
  expect(JSON.parse(completion.choices[0]?.message.content ?? "")).toEqual({ answer: "yes" });
  const body = bodyOf(fake.requests.at(-1));
  expect(body.response_format).toEqual({ type: "json_object" });
  const system = (body.messages as { role: string; content: string }[])[0]!;
  expect(system.role).toBe("system");
  expect(system.content).toContain(JSON.stringify(schema));
});

describe("/v1/models", () => {
  const presetModels = ["gemini-2.5-flash", ...presets.map((preset) => preset.model)];

  it("lists Gemini's and the presets' models when they are configured", async () => {
    const models = await client().models.list();
    const ids = models.data.map((entry) => entry.id);
    for (const id of presetModels) expect(ids).toContain(id);
  });

  it("lists none of them when they are not", async () => {
    const plain = await startGatewayServer(fake);
    try {
      const token = await plain.token({ name: "plain", scopes: ["llm"] });
      const models = await new OpenAI({
        apiKey: token.token,
        baseURL: `${plain.url}/v1`,
        maxRetries: 0,
      }).models.list();
      const ids = models.data.map((entry) => entry.id);
      expect(ids).toContain("gpt-4.1-mini");
      for (const id of presetModels) expect(ids).not.toContain(id);
    } finally {
      await plain.close();
    }
  });
});

describe("Gemini's failures on the wire", () => {
  it("retries a connection Google cut before the answer was whole", async () => {
    fake.reset();
    fake.enqueue({ cutStreamAfterChunks: 0 });
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("Cut?") }],
    });
    expect(completion.choices[0]?.message.content).toMatch(/^echo: Cut\?/);
    expect(fake.requests).toHaveLength(2);
  });

  it("reports a stream Google cut after it began as an upstream error", async () => {
    fake.reset();
    fake.enqueue({ cutStreamAfterChunks: 2 });
    const stream = await client().chat.completions.create({
      model,
      messages: [{ role: "user", content: uniquePrompt("this answer will be cut short") }],
      stream: true,
    });
    const error = await (async () => {
      for await (const _chunk of stream);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/gemini/);
  });

  describe("with LLM_TIMEOUT_MS 300 and no retries", () => {
    let impatient: TestServer;
    let token: string;
    beforeAll(async () => {
      impatient = await startGatewayServer(fake, {
        GEMINI_API_KEY: GEMINI_KEY,
        GEMINI_BASE_URL: fake.geminiBaseUrl,
        LLM_TIMEOUT_MS: "300",
        LLM_MAX_RETRIES: "0",
      });
      token = (await impatient.token({ name: "impatient", scopes: ["llm"] })).token;
    });
    afterAll(() => impatient?.close());
    const impatientClient = () =>
      new OpenAI({ apiKey: token, baseURL: `${impatient.url}/v1`, maxRetries: 0 });

    it("gives up on an answer that does not come: 504, the request abandoned", async () => {
      fake.reset();
      fake.enqueue({ hang: true });
      const error = await impatientClient()
        .chat.completions.create({
          model,
          messages: [{ role: "user", content: uniquePrompt("Anyone?") }],
        })
        .catch((caught: unknown) => caught);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
      await fake.waitForAborted(1);
    });

    it("gives up on a stream that goes quiet", async () => {
      fake.reset();
      fake.enqueue({ stallAfterChunks: 1 });
      const stream = await impatientClient().chat.completions.create({
        model,
        messages: [{ role: "user", content: uniquePrompt("a stream that stalls") }],
        stream: true,
      });
      const error = await (async () => {
        for await (const _chunk of stream);
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      await fake.waitForAborted(1);
    });
  });
});
