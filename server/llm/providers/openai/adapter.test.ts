import { http, HttpResponse, passthrough } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/process.ts";
import { ProviderError } from "../../provider.ts";
import type { Provider } from "../../provider.ts";
import { createOpenAiProvider } from "./adapter.ts";
import {
  collect,
  drain,
  providerRequest,
  rejection,
  socketDroppingServer,
  sseEvent,
  sseResponse,
  testKey,
  untilAborted,
} from "../shared/testing.ts";

const baseUrl = "https://openai.test/v1";
const compatibleUrl = "http://ollama.test:11434/v1";
const completionsUrl = `${baseUrl}/chat/completions`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function openai(overrides: Partial<Parameters<typeof createOpenAiProvider>[0]> = {}): Provider {
  return createOpenAiProvider({
    name: "openai",
    apiKey: testKey,
    baseUrl,
    maxTokensField: "max_completion_tokens",
    ...overrides,
  });
}

function compatible(overrides: Partial<Parameters<typeof createOpenAiProvider>[0]> = {}): Provider {
  return createOpenAiProvider({
    name: "openai-compatible",
    apiKey: undefined,
    baseUrl: compatibleUrl,
    maxTokensField: "max_tokens",
    ...overrides,
  });
}

function completion(text: string, extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    ...extra,
  };
}

/** Records each request body (and headers) the fake receives, answering with `answer`. */
function capture(url: string, answer: () => Response | Promise<Response>) {
  const seen: { body: Record<string, unknown>; headers: Headers }[] = [];
  server.use(
    http.post(url, async ({ request }) => {
      seen.push({
        body: (await request.json()) as Record<string, unknown>,
        headers: request.headers,
      });
      return answer();
    }),
  );
  return seen;
}

function chunk(delta: Record<string, unknown>, finishReason: string | null = null) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-test",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

const usageChunk = {
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-test",
  choices: [],
  usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
};

function errorBody(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("openai provider: requests on the wire", () => {
  it("sends the model, the system prompt first, the turns, max_completion_tokens, temperature and stop", async () => {
    const seen = capture(completionsUrl, () => HttpResponse.json(completion("4")));
    const result = await openai().complete(
      providerRequest({
        model: "gpt-test",
        system: "Be brief.",
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
          { role: "user", content: "What is 2+2?" },
        ],
        temperature: 0.2,
        maxTokens: 50,
        stop: ["\n\n"],
      }),
    );
    expect(result).toEqual({
      text: "4",
      usage: { inputTokens: 12, outputTokens: 3 },
      finishReason: "stop",
    });
    expect(seen).toHaveLength(1);
    const [{ body, headers }] = seen as [(typeof seen)[number]];
    expect(body).toEqual({
      model: "gpt-test",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "What is 2+2?" },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
      stop: ["\n\n"],
    });
    expect(headers.get("authorization")).toBe(`Bearer ${testKey}`);
  });

  it("leaves out what the request does not set", async () => {
    const seen = capture(completionsUrl, () => HttpResponse.json(completion("4")));
    await openai().complete(providerRequest());
    expect(seen[0]?.body).toEqual({
      model: "test-model",
      messages: [{ role: "user", content: "What is 2+2?" }],
    });
  });

  it("asks a JSON schema with response_format json_schema (not strict)", async () => {
    const schema = { type: "object", properties: { sum: { type: "number" } }, required: ["sum"] };
    const seen = capture(completionsUrl, () => HttpResponse.json(completion('{"sum":4}')));
    const result = await openai().complete(providerRequest({ json: { schema } }));
    expect(result.text).toBe('{"sum":4}');
    expect(seen[0]?.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: false },
    });
  });

  it("asks any JSON object with json_object, naming JSON in the system prompt when nothing does", async () => {
    const seen = capture(completionsUrl, () => HttpResponse.json(completion("{}")));
    await openai().complete(providerRequest({ json: { schema: undefined }, system: "Be brief." }));
    await openai().complete(
      providerRequest({
        json: { schema: undefined },
        messages: [{ role: "user", content: "Give me JSON" }],
      }),
    );
    expect(seen[0]?.body.response_format).toEqual({ type: "json_object" });
    const firstMessages = seen[0]?.body.messages as { role: string; content: string }[];
    expect(firstMessages[0]?.role).toBe("system");
    expect(firstMessages[0]?.content).toMatch(/^Be brief\.\n\n.*JSON object/);
    // Already said: nothing added.
    expect(seen[1]?.body.messages).toEqual([{ role: "user", content: "Give me JSON" }]);
  });

  it("speaks to a compatible server with max_tokens and a placeholder key, estimating missing usage", async () => {
    const seen = capture(`${compatibleUrl}/chat/completions`, () =>
      HttpResponse.json(completion("Four.", { usage: undefined })),
    );
    const result = await compatible().complete(
      providerRequest({ model: "llama3.2", system: "Be brief.", maxTokens: 20 }),
    );
    expect(seen[0]?.body.max_tokens).toBe(20);
    expect(seen[0]?.body).not.toHaveProperty("max_completion_tokens");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer not-needed");
    // "Be brief.\nWhat is 2+2?" is 22 characters; "Four." is 5.
    expect(result.usage).toEqual({ inputTokens: 6, outputTokens: 2 });
    expect(result.text).toBe("Four.");
  });

  it("reports the finish reason and an empty text when the model said nothing", async () => {
    capture(completionsUrl, () =>
      HttpResponse.json(
        completion("", {
          choices: [
            { index: 0, message: { role: "assistant", content: null }, finish_reason: "length" },
          ],
        }),
      ),
    );
    const result = await openai().complete(providerRequest());
    expect(result.text).toBe("");
    expect(result.finishReason).toBe("length");
  });

  it("lists the server's models", async () => {
    server.use(
      http.get(`${compatibleUrl}/models`, () =>
        HttpResponse.json({
          object: "list",
          data: [
            { id: "llama3.2", object: "model", created: 1, owned_by: "library" },
            { id: "qwen3:8b", object: "model", created: 1, owned_by: "library" },
          ],
        }),
      ),
    );
    expect(await compatible().listModels?.()).toEqual(["llama3.2", "qwen3:8b"]);
  });

  it("lists the models its settings name without asking the server", async () => {
    let asked = 0;
    server.use(
      http.get(`${compatibleUrl}/models`, () => {
        asked += 1;
        return HttpResponse.json({ object: "list", data: [] });
      }),
    );
    expect(await compatible({ models: ["local-a", "local-b"] }).listModels?.()).toEqual([
      "local-a",
      "local-b",
    ]);
    expect(asked).toBe(0);
  });
});

describe("openai provider: streaming", () => {
  it("asks for a stream with usage and yields each delta, then done with the server's usage", async () => {
    const seen = capture(completionsUrl, () =>
      sseResponse([
        sseEvent(chunk({ role: "assistant", content: "" })),
        sseEvent(chunk({ content: "Two plus " })),
        sseEvent(chunk({ content: "two is four." })),
        sseEvent(chunk({}, "stop")),
        sseEvent(usageChunk),
        "data: [DONE]\n\n",
      ]),
    );
    const chunks = await collect(openai().stream(providerRequest({ maxTokens: 30 })));
    expect(seen[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 30,
    });
    expect(chunks).toEqual([
      { type: "delta", text: "Two plus " },
      { type: "delta", text: "two is four." },
      { type: "done", usage: { inputTokens: 20, outputTokens: 4 }, finishReason: "stop" },
    ]);
  });

  it("estimates usage when the server sends none", async () => {
    capture(`${compatibleUrl}/chat/completions`, () =>
      sseResponse([
        sseEvent(chunk({ content: "Four, which is a number." })),
        sseEvent(chunk({}, "stop")),
        "data: [DONE]\n\n",
      ]),
    );
    const chunks = await collect(compatible().stream(providerRequest()));
    // "What is 2+2?" is 12 characters; the answer 24.
    expect(chunks.at(-1)).toEqual({
      type: "done",
      usage: { inputTokens: 3, outputTokens: 6 },
      finishReason: "stop",
    });
  });

  it("maps an error event in the middle of the stream", async () => {
    capture(completionsUrl, () =>
      sseResponse([
        sseEvent(chunk({ content: "Two" })),
        sseEvent(
          errorBody("The server had an error while processing your request.", "server_error"),
        ),
      ]),
    );
    const { chunks, error } = await drain(openai(), providerRequest());
    expect(chunks).toEqual([{ type: "delta", text: "Two" }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("server");
    expect((error as ProviderError).message).toBe(
      "The server had an error while processing your request.",
    );
  });

  it("maps a body broken in the middle (undici's 'terminated') to connection", async () => {
    capture(completionsUrl, () =>
      sseResponse([sseEvent(chunk({ content: "Two" }))], { end: new TypeError("terminated") }),
    );
    const { chunks, error } = await drain(openai(), providerRequest());
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("connection");
  });

  it("maps a real socket closed mid-stream to connection", async () => {
    const dropping = await socketDroppingServer(sseEvent(chunk({ content: "Two" })));
    server.use(http.post(`${dropping.url}/v1/chat/completions`, () => passthrough()));
    try {
      const provider = createOpenAiProvider({
        name: "openai-compatible",
        apiKey: undefined,
        baseUrl: `${dropping.url}/v1`,
        maxTokensField: "max_tokens",
      });
      const { chunks, error } = await drain(provider, providerRequest());
      expect(chunks).toEqual([{ type: "delta", text: "Two" }]);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe("connection");
      expect((error as ProviderError).retryable).toBe(true);
    } finally {
      await dropping.close();
    }
  });

  it("fails a stream that ends before the model finished (no finish reason, no usage)", async () => {
    capture(completionsUrl, () => sseResponse([sseEvent(chunk({ content: "Two" }))]));
    const { error } = await drain(openai(), providerRequest());
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("connection");
  });

  it("fails with timeout when the stream goes quiet for timeoutMs", async () => {
    capture(completionsUrl, () =>
      sseResponse([sseEvent(chunk({ content: "Two" }))], { end: "stall" }),
    );
    const { chunks, error } = await drain(openai(), providerRequest({ timeoutMs: 100 }));
    expect(chunks).toEqual([{ type: "delta", text: "Two" }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("rethrows the caller's abort in the middle of a stream, not a ProviderError", async () => {
    capture(completionsUrl, () =>
      sseResponse([sseEvent(chunk({ content: "Two" }))], { end: "stall" }),
    );
    const controller = new AbortController();
    const reason = new Error("client went away");
    const { chunks, error } = await drain(
      openai(),
      providerRequest({ signal: controller.signal }),
      () => controller.abort(reason),
    );
    expect(chunks).toHaveLength(1);
    expect(error).toBe(reason);
  });

  it("cancels the upstream request when the consumer stops reading", async () => {
    let cancelled = false;
    capture(completionsUrl, () =>
      sseResponse([sseEvent(chunk({ content: "Two" })), sseEvent(chunk({ content: " plus" }))], {
        end: "stall",
        onCancel: () => (cancelled = true),
      }),
    );
    for await (const piece of openai().stream(providerRequest())) {
      expect(piece).toEqual({ type: "delta", text: "Two" });
      break;
    }
    await expect.poll(() => cancelled).toBe(true);
  });

  it("maps an error status on the streamed request", async () => {
    capture(completionsUrl, () =>
      HttpResponse.json(
        errorBody("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
        {
          status: 429,
          headers: { "retry-after": "2" },
        },
      ),
    );
    const { error } = await drain(openai(), providerRequest());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "rate_limited", retryAfterMs: 2000, status: 429 });
  });
});

describe("openai provider: errors", () => {
  it("maps 429 with Retry-After to rate_limited with retryAfterMs", async () => {
    capture(completionsUrl, () =>
      HttpResponse.json(
        errorBody("Rate limit reached for gpt-test.", "requests", "rate_limit_exceeded"),
        {
          status: 429,
          headers: { "retry-after": "7" },
        },
      ),
    );
    const error = await providerError(openai().complete(providerRequest()));
    expect(error).toMatchObject({
      kind: "rate_limited",
      provider: "openai",
      status: 429,
      retryAfterMs: 7000,
      message: "Rate limit reached for gpt-test.",
    });
    expect(error.retryable).toBe(true);
  });

  it("prefers retry-after-ms", async () => {
    capture(completionsUrl, () =>
      HttpResponse.json(errorBody("Slow down.", "requests"), {
        status: 429,
        headers: { "retry-after-ms": "1500", "retry-after": "9" },
      }),
    );
    const error = await providerError(openai().complete(providerRequest()));
    expect(error.retryAfterMs).toBe(1500);
  });

  it("maps an exhausted quota (429 insufficient_quota) to rejected: waiting does not help", async () => {
    capture(completionsUrl, () =>
      HttpResponse.json(
        errorBody("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"),
        { status: 429 },
      ),
    );
    const error = await providerError(openai().complete(providerRequest()));
    expect(error.kind).toBe("rejected");
    expect(error.retryable).toBe(false);
  });

  it.each([500, 502, 503])("maps %i to server", async (status) => {
    capture(completionsUrl, () =>
      HttpResponse.json(errorBody("The server had an error.", "server_error"), { status }),
    );
    const error = await providerError(openai().complete(providerRequest()));
    expect(error).toMatchObject({ kind: "server", status, message: "The server had an error." });
  });

  it("maps a 5xx without a JSON body to server", async () => {
    capture(completionsUrl, () => new HttpResponse("<html>Bad gateway</html>", { status: 502 }));
    const error = await providerError(openai().complete(providerRequest()));
    expect(error.kind).toBe("server");
    expect(error.status).toBe(502);
  });

  it("maps 400 to rejected with OpenAI's own message", async () => {
    const message = "Invalid value for 'temperature': must be between 0 and 2.";
    capture(completionsUrl, () =>
      HttpResponse.json(errorBody(message, "invalid_request_error", "invalid_value"), {
        status: 400,
      }),
    );
    const error = await providerError(openai().complete(providerRequest()));
    expect(error).toMatchObject({
      kind: "rejected",
      status: 400,
      message,
      retryAfterMs: undefined,
    });
    expect(error.retryable).toBe(false);
  });

  it("never repeats the API key, whatever the provider's message says", async () => {
    capture(completionsUrl, () =>
      HttpResponse.json(
        errorBody(
          `Incorrect API key provided: ${testKey}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          "invalid_request_error",
          "invalid_api_key",
        ),
        { status: 401 },
      ),
    );
    const error = await providerError(openai().complete(providerRequest()));
    expect(error.kind).toBe("rejected");
    expect(error.message).toContain("Incorrect API key provided: sk-[redacted]");
    for (const text of [error.message, String(error), error.stack ?? "", JSON.stringify(error)]) {
      expect(text).not.toContain(testKey);
      expect(text).not.toContain("abcdefghijklmnop");
    }
  });

  it("never repeats a compatible server's key, even one no pattern recognises", async () => {
    const oddKey = "local-key-0123456789";
    server.use(
      http.post(`${compatibleUrl}/chat/completions`, () =>
        HttpResponse.json(errorBody(`Key ${oddKey} is not valid`, "invalid_request_error"), {
          status: 403,
        }),
      ),
    );
    const provider = createOpenAiProvider({
      name: "openai-compatible",
      apiKey: oddKey,
      baseUrl: compatibleUrl,
      maxTokensField: "max_tokens",
    });
    const error = await providerError(provider.complete(providerRequest()));
    expect(error.message).toBe("Key [redacted] is not valid");
  });

  it("maps a network error to connection", async () => {
    server.use(http.post(completionsUrl, () => HttpResponse.error()));
    const error = await providerError(openai().complete(providerRequest()));
    expect(error).toMatchObject({ kind: "connection", provider: "openai", status: undefined });
    expect(error.retryable).toBe(true);
  });

  it("maps a refused connection to connection, naming the code but not the address", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1`;
    server.use(http.post(`${url}/chat/completions`, () => passthrough()));
    const provider = createOpenAiProvider({
      name: "openai-compatible",
      apiKey: undefined,
      baseUrl: url,
      maxTokensField: "max_tokens",
    });
    const error = await providerError(provider.complete(providerRequest()));
    expect(error.kind).toBe("connection");
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).not.toContain(String(port));
  });

  it("maps no answer within timeoutMs to timeout", async () => {
    server.use(
      http.post(completionsUrl, async ({ request }) => {
        await untilAborted(request.signal);
        return HttpResponse.json(completion("late"));
      }),
    );
    const error = await providerError(openai().complete(providerRequest({ timeoutMs: 50 })));
    expect(error.kind).toBe("timeout");
    expect(error.retryable).toBe(true);
  });

  it("rethrows the caller's abort as is, not as a ProviderError", async () => {
    // The caller goes away once the request is on its way.
    let arrived = () => {};
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    server.use(
      http.post(completionsUrl, async ({ request }) => {
        arrived();
        await untilAborted(request.signal);
        return HttpResponse.json(completion("late"));
      }),
    );
    const controller = new AbortController();
    const reason = new Error("client went away");
    const pending = rejection(openai().complete(providerRequest({ signal: controller.signal })));
    await reached;
    controller.abort(reason);
    const error = await pending;
    expect(error).toBe(reason);
  });

  it("throws an AbortError for a plain abort(), and sends nothing when already aborted", async () => {
    const seen = capture(completionsUrl, () => HttpResponse.json(completion("4")));
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      openai().complete(providerRequest({ signal: controller.signal })),
    );
    expect(error).not.toBeInstanceOf(ProviderError);
    expect((error as Error).name).toBe("AbortError");
    const streamed = await drain(openai(), providerRequest({ signal: controller.signal }));
    expect((streamed.error as Error).name).toBe("AbortError");
    expect(seen).toHaveLength(0);
  });

  it("maps listModels failures too", async () => {
    server.use(
      http.get(`${baseUrl}/models`, () =>
        HttpResponse.json(errorBody("Overloaded", "server_error"), { status: 503 }),
      ),
    );
    const error = await providerError(openai().listModels!());
    expect(error.kind).toBe("server");
  });
});
