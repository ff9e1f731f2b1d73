import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../provider.ts";
import type { Provider } from "../../provider.ts";
import { createAnthropicProvider } from "./adapter.ts";
import {
  collect,
  drain,
  providerRequest,
  rejection,
  sseEvent,
  sseResponse,
  untilAborted,
} from "../shared/testing.ts";

const baseUrl = "https://anthropic.test";
const messagesUrl = `${baseUrl}/v1/messages`;
const anthropicKey = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function anthropic(defaultMaxTokens?: number): Provider {
  return createAnthropicProvider({ apiKey: anthropicKey, baseUrl, defaultMaxTokens });
}

function message(content: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-test",
    content,
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 15,
      output_tokens: 4,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
    },
    ...extra,
  };
}

function errorBody(type: string, text: string) {
  return { type: "error", error: { type, message: text }, request_id: "req_1" };
}

function capture(answer: () => Response | Promise<Response>) {
  const seen: { body: Record<string, unknown>; headers: Headers }[] = [];
  server.use(
    http.post(messagesUrl, async ({ request }) => {
      seen.push({
        body: (await request.json()) as Record<string, unknown>,
        headers: request.headers,
      });
      return answer();
    }),
  );
  return seen;
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** The event sequence of a streamed Messages answer. */
function streamEvents(deltas: string[], stopReason = "end_turn"): string[] {
  return [
    sseEvent(
      {
        type: "message_start",
        message: message([], {
          stop_reason: null,
          usage: {
            input_tokens: 25,
            output_tokens: 1,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 5,
          },
        }),
      },
      "message_start",
    ),
    sseEvent(
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      "content_block_start",
    ),
    sseEvent({ type: "ping" }, "ping"),
    ...deltas.map((text) =>
      sseEvent(
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
        "content_block_delta",
      ),
    ),
    sseEvent({ type: "content_block_stop", index: 0 }, "content_block_stop"),
    sseEvent(
      {
        type: "message_delta",
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: 9, input_tokens: null },
      },
      "message_delta",
    ),
    sseEvent({ type: "message_stop" }, "message_stop"),
  ];
}

describe("anthropic provider: requests on the wire", () => {
  it("sends model, top-level system, max_tokens, stop_sequences and the turns; no temperature", async () => {
    const seen = capture(() => HttpResponse.json(message([{ type: "text", text: "4" }])));
    const result = await anthropic().complete(
      providerRequest({
        model: "claude-test",
        system: "Be brief.",
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
          { role: "user", content: "What is 2+2?" },
        ],
        temperature: 0.3,
        maxTokens: 100,
        stop: ["END"],
      }),
    );
    expect(result).toEqual({
      text: "4",
      usage: { inputTokens: 15, outputTokens: 4 },
      finishReason: "stop",
    });
    expect(seen[0]?.body).toEqual({
      model: "claude-test",
      max_tokens: 100,
      system: "Be brief.",
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "What is 2+2?" },
      ],
      stop_sequences: ["END"],
    });
    // SDK v1 sends the key as a bearer token, with API version 2026-10-21.
    expect(seen[0]?.headers.get("authorization")).toBe(`Bearer ${anthropicKey}`);
    expect(seen[0]?.headers.get("anthropic-version")).toBe("2026-10-21");
  });

  it("always sends max_tokens: the request's, else the configured default, else 4096", async () => {
    const seen = capture(() => HttpResponse.json(message([{ type: "text", text: "4" }])));
    await anthropic().complete(providerRequest());
    await anthropic(1000).complete(providerRequest());
    expect(seen.map(({ body }) => body.max_tokens)).toEqual([4096, 1000]);
    expect(seen[0]?.body).not.toHaveProperty("system");
    expect(seen[0]?.body).not.toHaveProperty("stop_sequences");
  });

  it("asks a JSON schema with output_config.format, objects closed as structured outputs require", async () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string", minLength: 1 },
        tags: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" } } },
        },
      },
      required: ["city"],
    };
    const seen = capture(() =>
      HttpResponse.json(message([{ type: "text", text: '{"city":"Paris"}' }])),
    );
    const result = await anthropic().complete(providerRequest({ json: { schema } }));
    expect(result.text).toBe('{"city":"Paris"}');
    const format = (
      seen[0]?.body.output_config as { format: { type: string; schema: Record<string, unknown> } }
    ).format;
    expect(format.type).toBe("json_schema");
    expect(format.schema).toMatchObject({
      type: "object",
      additionalProperties: false,
      required: ["city"],
      properties: {
        city: { type: "string" },
        tags: { type: "array", items: { type: "object", additionalProperties: false } },
      },
    });
    // The caller's schema object is left alone.
    expect(schema).not.toHaveProperty("additionalProperties");
  });

  it("asks any JSON object in words, since Anthropic has no JSON-object mode", async () => {
    const seen = capture(() => HttpResponse.json(message([{ type: "text", text: "{}" }])));
    await anthropic().complete(
      providerRequest({ json: { schema: undefined }, system: "Be brief." }),
    );
    expect(seen[0]?.body).not.toHaveProperty("output_config");
    expect(seen[0]?.body.system).toMatch(/^Be brief\.\n\n.*JSON object/);
  });

  it("joins the text blocks, skips the others, counts cached input and maps the stop reason", async () => {
    capture(() =>
      HttpResponse.json(
        message(
          [
            { type: "thinking", thinking: "Let me add.", signature: "sig" },
            { type: "text", text: "Two plus two " },
            { type: "text", text: "is four." },
          ],
          {
            stop_reason: "max_tokens",
            usage: {
              input_tokens: 10,
              output_tokens: 7,
              cache_creation_input_tokens: 3,
              cache_read_input_tokens: 2,
            },
          },
        ),
      ),
    );
    const result = await anthropic().complete(providerRequest());
    expect(result).toEqual({
      text: "Two plus two is four.",
      usage: { inputTokens: 15, outputTokens: 7 },
      finishReason: "length",
    });
  });
});

describe("anthropic provider: streaming", () => {
  it("yields text deltas, then done with message_start input and message_delta output tokens", async () => {
    const seen = capture(() => sseResponse(streamEvents(["Two plus ", "two is four."])));
    const chunks = await collect(anthropic().stream(providerRequest({ stop: ["END"] })));
    expect(seen[0]?.body).toMatchObject({
      stream: true,
      stop_sequences: ["END"],
      max_tokens: 4096,
    });
    expect(chunks).toEqual([
      { type: "delta", text: "Two plus " },
      { type: "delta", text: "two is four." },
      { type: "done", usage: { inputTokens: 30, outputTokens: 9 }, finishReason: "stop" },
    ]);
  });

  it("maps an overloaded error event in the middle of the stream to server", async () => {
    const events = streamEvents(["Two"]).slice(0, 4);
    capture(() =>
      sseResponse([...events, sseEvent(errorBody("overloaded_error", "Overloaded"), "error")]),
    );
    const { chunks, error } = await drain(anthropic(), providerRequest());
    expect(chunks).toEqual([{ type: "delta", text: "Two" }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "server", message: "Overloaded", provider: "anthropic" });
  });

  it("maps a body broken in the middle to connection", async () => {
    capture(() =>
      sseResponse(streamEvents(["Two"]).slice(0, 4), { end: new TypeError("terminated") }),
    );
    const { error } = await drain(anthropic(), providerRequest());
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("connection");
  });

  it("fails a stream that closes before message_stop", async () => {
    capture(() => sseResponse(streamEvents(["Two"]).slice(0, 4)));
    const { chunks, error } = await drain(anthropic(), providerRequest());
    expect(chunks).toEqual([{ type: "delta", text: "Two" }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("connection");
  });

  it("fails with timeout when the stream goes quiet", async () => {
    capture(() => sseResponse(streamEvents(["Two"]).slice(0, 4), { end: "stall" }));
    const { error } = await drain(anthropic(), providerRequest({ timeoutMs: 100 }));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("rethrows the caller's abort in the middle of a stream", async () => {
    capture(() => sseResponse(streamEvents(["Two"]).slice(0, 4), { end: "stall" }));
    const controller = new AbortController();
    const reason = new Error("client went away");
    const { chunks, error } = await drain(
      anthropic(),
      providerRequest({ signal: controller.signal }),
      () => controller.abort(reason),
    );
    expect(chunks).toHaveLength(1);
    expect(error).toBe(reason);
  });
});

describe("anthropic provider: errors", () => {
  it("maps 429 with Retry-After to rate_limited with retryAfterMs", async () => {
    capture(() =>
      HttpResponse.json(
        errorBody("rate_limit_error", "Number of requests has exceeded your rate limit."),
        {
          status: 429,
          headers: { "retry-after": "12" },
        },
      ),
    );
    const error = await providerError(anthropic().complete(providerRequest()));
    expect(error).toMatchObject({
      kind: "rate_limited",
      provider: "anthropic",
      status: 429,
      retryAfterMs: 12_000,
      message: "Number of requests has exceeded your rate limit.",
    });
  });

  it.each([
    [529, "overloaded_error", "Overloaded"],
    [500, "api_error", "Internal server error"],
  ])("maps %i to server", async (status, type, text) => {
    capture(() => HttpResponse.json(errorBody(type, text), { status }));
    const error = await providerError(anthropic().complete(providerRequest()));
    expect(error).toMatchObject({ kind: "server", status, message: text });
    expect(error.retryable).toBe(true);
  });

  it("maps 400 to rejected with Anthropic's own message", async () => {
    const text = "temperature: Extra inputs are not permitted";
    capture(() => HttpResponse.json(errorBody("invalid_request_error", text), { status: 400 }));
    const error = await providerError(anthropic().complete(providerRequest()));
    expect(error).toMatchObject({ kind: "rejected", status: 400, message: text });
    expect(error.retryable).toBe(false);
  });

  it("never repeats the API key", async () => {
    capture(() =>
      HttpResponse.json(errorBody("authentication_error", `invalid x-api-key: ${anthropicKey}`), {
        status: 401,
      }),
    );
    const error = await providerError(anthropic().complete(providerRequest()));
    expect(error.kind).toBe("rejected");
    expect(error.message).toBe("invalid x-api-key: sk-[redacted]");
    for (const text of [error.message, String(error), error.stack ?? "", JSON.stringify(error)]) {
      expect(text).not.toContain(anthropicKey);
      expect(text).not.toContain("abcdefghijklmnop");
    }
  });

  it("maps a network error to connection", async () => {
    server.use(http.post(messagesUrl, () => HttpResponse.error()));
    const error = await providerError(anthropic().complete(providerRequest()));
    expect(error.kind).toBe("connection");
  });

  it("maps no answer within timeoutMs to timeout", async () => {
    server.use(
      http.post(messagesUrl, async ({ request }) => {
        await untilAborted(request.signal);
        return HttpResponse.json(message([{ type: "text", text: "late" }]));
      }),
    );
    const error = await providerError(anthropic().complete(providerRequest({ timeoutMs: 50 })));
    expect(error.kind).toBe("timeout");
  });

  it("rethrows the caller's abort as is", async () => {
    // The caller goes away once the request is on its way.
    let arrived = () => {};
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    server.use(
      http.post(messagesUrl, async ({ request }) => {
        arrived();
        await untilAborted(request.signal);
        return HttpResponse.json(message([{ type: "text", text: "late" }]));
      }),
    );
    const controller = new AbortController();
    const reason = new Error("client went away");
    const pending = rejection(anthropic().complete(providerRequest({ signal: controller.signal })));
    await reached;
    controller.abort(reason);
    const error = await pending;
    expect(error).toBe(reason);

    const aborted = new AbortController();
    aborted.abort();
    const plain = await rejection(
      anthropic().complete(providerRequest({ signal: aborted.signal })),
    );
    expect(plain).not.toBeInstanceOf(ProviderError);
    expect((plain as Error).name).toBe("AbortError");
  });
});
