/**
 * POST /v1/responses through the official OpenAI client, against the real server with the fake
 * provider behind it, for an OpenAI and an Anthropic model: answers, the typed stream events,
 * structured output, the ledger and cache, and the honest refusals of what is not kept.
 */
import { Redis } from "ioredis";
import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createLogger } from "../logger.ts";
import { connectRedis } from "../redis.ts";
import { fakeTokenCount, startFakeProvider } from "../test/fake-provider.ts";
import { LogCapture, startTestServer } from "../test/harness.ts";
import { startPrivateRedis } from "../test/private-services.ts";
import {
  bodyOf,
  ledger,
  providerCases,
  startRig,
  uniquePrompt,
  type Rig,
} from "../test/llm-rig.ts";

function clientFor(rig: Rig, token: string): OpenAI {
  return new OpenAI({ apiKey: token, baseURL: `${rig.server.url}/v1`, maxRetries: 0 });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

describe.each(providerCases)(
  "POST /v1/responses with $model ($provider)",
  ({ model, provider }) => {
    it("answers text input in the Responses format, with usage, headers and a ledger row", async () => {
      const { id, token } = await rig.token();
      const prompt = uniquePrompt("What is 2 + 2?");
      const { data, response } = await clientFor(rig, token)
        .responses.create({
          model,
          input: prompt,
          instructions: "Be brief.",
          max_output_tokens: 50,
        })
        .withResponse();

      expect(data.output_text).toBe(`echo: ${prompt}`);
      expect(data).toMatchObject({
        id: expect.stringMatching(/^resp_[0-9a-f]{32}$/),
        object: "response",
        status: "completed",
        model,
        instructions: "Be brief.",
        max_output_tokens: 50,
        store: false,
        error: null,
        output: [
          {
            type: "message",
            id: expect.stringMatching(/^msg_/),
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: `echo: ${prompt}`, annotations: [] }],
          },
        ],
      });
      const input = fakeTokenCount(`Be brief.${prompt}`);
      expect(data.usage).toEqual({
        input_tokens: input,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: fakeTokenCount(`echo: ${prompt}`),
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + fakeTokenCount(`echo: ${prompt}`),
      });
      expect(response.headers.get("x-officellm-provider")).toBe(provider);
      expect(response.headers.get("x-officellm-cache")).toBe("miss");
      const upstream = bodyOf(rig.fake.requests.at(-1));
      expect(upstream.max_tokens ?? upstream.max_completion_tokens).toBe(50);

      const rows = await ledger(rig, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        model,
        status: "ok",
        output_tokens: data.usage!.output_tokens,
      });
    });

    it("takes message items: developer, earlier turns with output_text, input_text parts", async () => {
      const { token } = await rig.token();
      const prompt = uniquePrompt("and now?");
      const answer = await clientFor(rig, token).responses.create({
        model,
        input: [
          { role: "developer", content: "Answer in French." },
          { role: "user", content: "Earlier question" },
          {
            type: "message",
            id: "msg_earlier",
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", text: "Earlier answer", annotations: [] }],
          },
          { role: "user", content: [{ type: "input_text", text: prompt }] },
        ],
        store: false,
        user: "alice@example.com",
        metadata: { sheet: "Q3" },
        tool_choice: "none",
      });
      expect(answer.output_text).toBe(`echo: ${prompt}`);
      expect(answer.metadata).toEqual({ sheet: "Q3" });
      const call = rig.fake.calls.at(-1)!;
      expect(call.system).toBe("Answer in French.");
      expect(call.messages).toEqual([
        { role: "user", content: "Earlier question" },
        { role: "assistant", content: "Earlier answer" },
        { role: "user", content: prompt },
      ]);
    });

    it("streams the typed events in OpenAI's order, deltas joining to the answer", async () => {
      const { id, token } = await rig.token();
      const prompt = uniquePrompt("Stream me a sentence please");
      const stream = await clientFor(rig, token).responses.create({
        model,
        input: prompt,
        stream: true,
      });
      const types: string[] = [];
      const sequence: number[] = [];
      let text = "";
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        sequence.push(event.sequence_number);
        if (event.type === "response.output_text.delta") text += event.delta;
        if (event.type === "response.output_text.done") expect(event.text).toBe(`echo: ${prompt}`);
        if (event.type === "response.completed") completed = event.response;
      }
      const deltas = types.filter((type) => type === "response.output_text.delta").length;
      expect(deltas).toBeGreaterThan(1);
      expect(types).toEqual([
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        ...Array<string>(deltas).fill("response.output_text.delta"),
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ]);
      expect(sequence).toEqual(types.map((_, index) => index));
      expect(text).toBe(`echo: ${prompt}`);
      expect(completed).toMatchObject({
        status: "completed",
        output: [{ content: [{ type: "output_text", text }] }],
        usage: { output_tokens: fakeTokenCount(text) },
      });
      expect(await ledger(rig, id)).toHaveLength(1);
    });

    it("answers the SDK's stream helper and structured output with a zod 4 schema", async () => {
      const { token } = await rig.token();
      const client = clientFor(rig, token);
      const final = await client.responses
        .stream({ model, input: uniquePrompt("helper") })
        .finalResponse();
      expect(final.output_text).toMatch(/^echo: helper/);

      const Person = z.object({ name: z.string(), tags: z.array(z.enum(["a", "b"])) });
      const parsed = await client.responses.parse({
        model,
        input: uniquePrompt("who?"),
        text: { format: zodTextFormat(Person, "person") },
      });
      expect(parsed.output_parsed).toEqual({
        name: expect.stringMatching(/^echo: who\?/),
        tags: ["a"],
      });

      // A schema as zod 4 writes it, with its 2020-12 `$schema` and a tuple.
      const schema = z.toJSONSchema(z.object({ pair: z.tuple([z.string(), z.boolean()]) }));
      const answer = await client.responses.create({
        model,
        input: uniquePrompt("pair"),
        text: { format: { type: "json_schema", name: "pair", schema } },
      });
      expect(JSON.parse(answer.output_text)).toEqual({ pair: [expect.any(String), false] });
    });

    it("answers a second identical call at temperature 0 from the cache", async () => {
      const { token } = await rig.token();
      const client = clientFor(rig, token);
      const body = { model, input: uniquePrompt("cache me"), temperature: 0 };
      const first = await client.responses.create(body).withResponse();
      const second = await client.responses.create(body).withResponse();
      expect(first.response.headers.get("x-officellm-cache")).toBe("miss");
      expect(second.response.headers.get("x-officellm-cache")).toBe("hit");
      expect(second.data.output_text).toBe(first.data.output_text);
    });
  },
);

describe("POST /v1/responses item references", () => {
  it("reads a reference to an earlier answer's items (plain and streamed) as the items", async () => {
    const { token } = await rig.token();
    const client = clientFor(rig, token);
    const question = uniquePrompt("first");
    const plain = await client.responses.create({ model: "claude-haiku-4-5", input: question });
    rig.fake.enqueue({ toolCalls: [{ name: "weather", arguments: { city: "Oslo" } }] });
    const streamed = await client.responses
      .stream({
        model: "claude-haiku-4-5",
        input: uniquePrompt("weather?"),
        tools: [{ type: "function", name: "weather", parameters: null, strict: false }],
      })
      .finalResponse();
    const call = streamed.output.find((item) => item.type === "function_call")!;
    const next = uniquePrompt("then");
    const answer = await client.responses.create({
      model: "claude-haiku-4-5",
      input: [
        { role: "user", content: question },
        ...plain.output.map((item) => ({ type: "item_reference" as const, id: item.id! })),
        { role: "user", content: "weather?" },
        ...streamed.output.map((item) => ({ type: "item_reference" as const, id: item.id! })),
        { type: "function_call_output", call_id: call.call_id, output: "sunny" },
        { role: "user", content: next },
      ],
    });
    expect(answer.output_text).toBe(`echo: ${next}`);
    const upstream = bodyOf(rig.fake.requests.at(-1)) as { messages: unknown[] };
    expect(upstream.messages).toEqual([
      { role: "user", content: question },
      { role: "assistant", content: `echo: ${question}` },
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: call.call_id, name: "weather", input: { city: "Oslo" } }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: call.call_id, content: "sunny" }],
      },
      { role: "user", content: next },
    ]);
  });

  it("keeps nothing of an answer asked with store: false, so a reference to it is refused", async () => {
    const client = clientFor(rig, (await rig.token()).token);
    const plain = await client.responses.create({
      model: "gpt-4.1-mini",
      input: uniquePrompt("not kept"),
      store: false,
    });
    const streamed = await client.responses
      .stream({ model: "gpt-4.1-mini", input: uniquePrompt("not kept either"), store: false })
      .finalResponse();
    for (const given of [plain, streamed]) {
      const error = await rejection(
        client.responses.create({
          model: "gpt-4.1-mini",
          input: [{ type: "item_reference", id: given.output[0]!.id! }],
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).toMatch(/body\.input\.0\.id: msg_\w+ is not an item/);
    }
  });

  it("refuses a reference to another token's item with 400, calling nothing", async () => {
    const mine = clientFor(rig, (await rig.token()).token);
    const given = await mine.responses.create({ model: "gpt-4.1-mini", input: "Hello" });
    const { id, token } = await rig.token();
    const calls = rig.fake.calls.length;
    const error = await rejection(
      clientFor(rig, token).responses.create({
        model: "gpt-4.1-mini",
        input: [{ type: "item_reference", id: given.output[0]!.id! }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/body\.input\.0\.id: msg_\w+ is not an item/);
    expect(rig.fake.calls.length).toBe(calls);
    expect(await ledger(rig, id)).toEqual([]);
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(REDIS_URL === undefined)("POST /v1/responses item references in Redis", () => {
  let redis: Redis;
  let shared: Rig;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL!, { db: 9 });
    shared = await startRig({ redis });
  });
  afterAll(async () => {
    await shared.close();
    redis.disconnect();
  });

  it("keeps the items in Redis, where every instance reads them", async () => {
    const client = clientFor(shared, (await shared.token()).token);
    const question = uniquePrompt("kept in redis");
    const given = await client.responses.stream({ model: "gpt-4.1-mini", input: question });
    const [item] = (await given.finalResponse()).output;
    const kept = await redis.zrange("officellm:response-items:meta:index", "0", "-1");
    const values = await Promise.all(kept.map((key) => redis.get(key)));
    expect(values.some((value) => value?.includes(item!.id!))).toBe(true);

    const next = uniquePrompt("next");
    const answer = await client.responses.create({
      model: "gpt-4.1-mini",
      input: [
        { role: "user", content: question },
        { type: "item_reference", id: item!.id! },
        { role: "user", content: next },
      ],
    });
    expect(answer.output_text).toBe(`echo: ${next}`);
    expect(shared.fake.calls.at(-1)?.messages).toEqual([
      { role: "user", content: question },
      { role: "assistant", content: `echo: ${question}` },
      { role: "user", content: next },
    ]);
  });
});

describe("POST /v1/responses items kept per token", () => {
  /** With 20 entries in all, each token keeps its newest 2 items. */
  const env = { CACHE_MAX_ENTRIES: "20" };

  async function oneTokenCannotPushOutAnother(bounded: Rig): Promise<void> {
    const quiet = clientFor(bounded, (await bounded.token()).token);
    const kept = await quiet.responses.create({ model: "gpt-4.1-mini", input: uniquePrompt("q") });
    const busy = clientFor(bounded, (await bounded.token()).token);
    const given = [];
    for (let i = 0; i < 25; i++)
      given.push(await busy.responses.create({ model: "gpt-4.1-mini", input: uniquePrompt("b") }));
    /** Refers to an answer's item; the fake is then asked with it as the assistant's turn. */
    const refer = async (client: OpenAI, answer: OpenAI.Responses.Response) => {
      await client.responses.create({
        model: "gpt-4.1-mini",
        input: [
          { type: "item_reference", id: answer.output[0]!.id! },
          { role: "user", content: "and?" },
        ],
      });
      return bounded.fake.calls.at(-1)?.messages[0];
    };
    const turn = (answer: OpenAI.Responses.Response) => ({
      role: "assistant",
      content: answer.output_text,
    });
    expect(await refer(quiet, kept)).toEqual(turn(kept));
    // The busy token keeps its newest items, not its oldest.
    expect(await refer(busy, given.at(-1)!)).toEqual(turn(given.at(-1)!));
    const error = await rejection(refer(busy, given[0]!));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/is not an item of an answer this token was given/);
  }

  it("in memory: one token's many answers do not push out another token's item", async () => {
    const bounded = await startRig({ env });
    try {
      await oneTokenCannotPushOutAnother(bounded);
    } finally {
      await bounded.close();
    }
  });

  it("in Redis: one token's many answers do not push out another token's item", async () => {
    const service = await startPrivateRedis();
    const redis = new Redis(service.url);
    const bounded = await startRig({ env, redis });
    try {
      await oneTokenCannotPushOutAnother(bounded);
      const owners = await redis.keys("officellm:response-items:meta:owner:*");
      const sizes = await Promise.all(owners.map((key) => redis.zcard(key)));
      // Each token's index holds its newest two (the quiet one's reference was answered, and kept).
      expect(sizes).toEqual([2, 2]);
    } finally {
      await bounded.close();
      redis.disconnect();
      await service.dispose();
    }
  });
});

describe("POST /v1/responses item references with Redis down or hanging", () => {
  it("answers 503 unavailable with Retry-After, not a 400 the client would not retry", async () => {
    const service = await startPrivateRedis();
    const logger = createLogger({ log: { level: "info", format: "json" } }, new LogCapture());
    const redis = await connectRedis(service.url, logger);
    const outage = await startRig({ redis });
    try {
      const { id, token } = await outage.token();
      const given = await clientFor(outage, token).responses.create({
        model: "gpt-4.1-mini",
        input: uniquePrompt("kept before the outage"),
      });
      const refer = () =>
        outage.post<{ error?: { code: string; message: string } }>("/v1/responses", token, {
          model: "gpt-4.1-mini",
          input: [
            { type: "item_reference", id: given.output[0]!.id },
            { role: "user", content: "and?" },
          ],
        });
      const expectUnavailable = async () => {
        const calls = outage.fake.calls.length;
        const reply = await refer();
        expect(reply.status, reply.text).toBe(503);
        expect(reply.body.error?.code).toBe("unavailable");
        expect(reply.body.error?.message).toMatch(/cannot be read now/);
        expect(reply.headers.get("retry-after")).toBe("5");
        expect(outage.fake.calls.length).toBe(calls);
      };

      // Hanging: connection open, nothing answering (each command given up after 1 s).
      service.freeze();
      try {
        await expectUnavailable();
      } finally {
        service.thaw();
      }
      await vi.waitFor(async () => expect((await refer()).status).toBe(200), { timeout: 10_000 });

      const failed = new Promise((resolve) => redis.once("error", resolve));
      await service.stop();
      await failed;
      await expectUnavailable();
      // Only the answered reference was recorded: the refused ones called nothing.
      expect((await ledger(outage, id)).map((row) => row.status)).toEqual(["ok", "ok"]);

      // Answers still degrade to a miss: a request without references is asked upstream.
      const plain = await clientFor(outage, token).responses.create({
        model: "gpt-4.1-mini",
        input: uniquePrompt("during the outage"),
      });
      expect(plain.output_text).toMatch(/^echo: during the outage/);
      expect(outage.server.logs.text).not.toMatch(/unexpected error/);
    } finally {
      await outage.close();
      redis.disconnect();
      await service.dispose();
    }
  });
});

describe("POST /v1/responses and budgets", () => {
  it("refuses a call the token's budget cannot cover with 429 budget_exceeded, recorded", async () => {
    const { id, token } = await rig.token({ budgetUsd: 1e-9 });
    const reply = await rig.post<{ error: { code: string } }>("/v1/responses", token, {
      model: "gpt-4.1-mini",
      input: uniquePrompt("too dear"),
    });
    expect(reply.status, reply.text).toBe(429);
    expect(reply.body.error.code).toBe("budget_exceeded");
    const rows = await ledger(rig, id);
    expect(rows.map((row) => [row.status, row.error_code])).toEqual([["error", "budget_exceeded"]]);
    expect(rig.fake.calls.filter((call) => call.lastUserText.startsWith("too dear"))).toEqual([]);
  });
});

describe("POST /v1/responses failing after the stream began", () => {
  it("sends one error event, which the SDK throws as an APIError", async () => {
    const { id, token } = await rig.token();
    rig.fake.enqueue({ cutStreamAfterChunks: 2 });
    const stream = await clientFor(rig, token).responses.create({
      model: "gpt-4.1-mini",
      input: uniquePrompt("this answer will be cut short"),
      stream: true,
    });
    const types: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/openai/);
    expect(types).not.toContain("response.completed");
    expect(types.filter((type) => type === "response.output_text.delta")).toHaveLength(2);
    const rows = await ledger(rig, id);
    expect(rows.map((row) => row.status)).toEqual(["error"]);
  });
});

describe("POST /v1/responses with a local OpenAI-compatible server", () => {
  it("asks the local server's chat completions, plain and streamed", async () => {
    const local = await startFakeProvider();
    const server = await startTestServer({
      env: { OPENAI_COMPATIBLE_BASE_URL: local.openaiBaseUrl, OPENAI_COMPATIBLE_MODELS: "llama" },
    });
    try {
      const { token } = await server.token();
      const client = new OpenAI({ apiKey: token, baseURL: `${server.url}/v1`, maxRetries: 0 });
      const answer = await client.responses.create({ model: "llama", input: "hello there" });
      expect(answer.output_text).toBe("echo: hello there");
      let streamed = "";
      const stream = await client.responses.create({
        model: "llama",
        input: "again",
        stream: true,
      });
      for await (const event of stream) {
        if (event.type === "response.output_text.delta") streamed += event.delta;
      }
      expect(streamed).toBe("echo: again");
      expect(local.requests.map((request) => request.path)).toEqual([
        "/v1/chat/completions",
        "/v1/chat/completions",
      ]);
    } finally {
      await server.close();
      await local.close();
    }
  });
});

describe("POST /v1/responses refusals", () => {
  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      "store: true",
      { store: true },
      /body\.store: store: true is not supported: OfficeLLM keeps no responses/,
    ],
    [
      "previous_response_id",
      { previous_response_id: "resp_123" },
      /body\.previous_response_id: previous_response_id is not supported: OfficeLLM keeps no responses/,
    ],
    [
      "conversation",
      { conversation: "conv_1" },
      /body\.conversation: conversation is not supported/,
    ],
    [
      "a built-in tool",
      { tools: [{ type: "web_search" }] },
      /body\.tools\.0\.type: only function tools are supported by this gateway/,
    ],
    [
      "a file part",
      {
        input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }],
      },
      /body\.input\.0\.content\.0\.type: only text and image parts \(input_text, output_text, input_image\) are supported, not 'input_file'/,
    ],
    [
      "an image by file id",
      {
        input: [
          { role: "user", content: [{ type: "input_image", file_id: "file_1", detail: "auto" }] },
        ],
      },
      /body\.input\.0\.content\.0\.image_url: is required \(an https: or data:image URL; file_id is not supported\)/,
    ],
    [
      "an image that is no image",
      {
        input: [
          {
            role: "user",
            content: [
              { type: "input_image", image_url: "data:text/plain;base64,aGk=", detail: "auto" },
            ],
          },
        ],
      },
      /body\.input\.0\.content\.0\.image_url: a data: URL must be a base64 PNG, JPEG, GIF or WebP image/,
    ],
    [
      "a reference to an item never given",
      { input: [{ type: "item_reference", id: "msg_1" }] },
      /body\.input\.0\.id: msg_1 is not an item of an answer this token was given, or is no longer kept/,
    ],
    [
      "an item reference without its id",
      { input: [{ type: "item_reference" }] },
      /body\.input\.0\.id: /,
    ],
    [
      "a function result without its output",
      { input: [{ type: "function_call_output", call_id: "c" }] },
      /body\.input\.0\.output: must be the function's result as text/,
    ],
    [
      "a reasoning item",
      { input: [{ type: "reasoning", summary: [] }] },
      /body\.input\.0\.type: 'reasoning' items are not supported/,
    ],
    ["background", { background: true }, /body\.background: background: true is not supported/],
    ["an unknown text format", { text: { format: { type: "xml" } } }, /body\.text\.format/],
  ];
  for (const [label, change, message] of refused) {
    it(`refuses ${label} with 400 invalid_request naming the field, recording nothing`, async () => {
      const { id, token } = await rig.token();
      const body = { model: "gpt-4.1-mini", input: "Hello", ...change };
      const error = await rejection(
        clientFor(rig, token).responses.create(
          body as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming,
        ),
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(apiError.code).toBe("invalid_request");
      expect(apiError.message).toMatch(message);
      expect(await ledger(rig, id)).toEqual([]);
    });
  }

  it("refuses a schema of a draft it does not know, naming the drafts it does", async () => {
    const { token } = await rig.token();
    const error = await rejection(
      clientFor(rig, token).responses.create({
        model: "gpt-4.1-mini",
        input: "Hello",
        text: {
          format: {
            type: "json_schema",
            name: "x",
            schema: { $schema: "http://json-schema.org/draft-04/schema#", type: "object" },
          },
        },
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/use draft 2020-12, 2019-09 or draft-07/);
  });
});
