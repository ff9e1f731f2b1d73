import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../provider.ts";
import { drain, providerRequest, rejection, sseResponse, untilAborted } from "../shared/testing.ts";
import { createGeminiProvider } from "./adapter.ts";

const baseUrl = "https://gemini.test";
const geminiKey = "AIzaSyTestKey0123456789abcdefghijklmn";
const generateUrl = `${baseUrl}/v1beta/models/:call`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const gemini = () => createGeminiProvider({ apiKey: geminiKey, baseUrl });

/** Answers every call with `answer`, keeping the bodies sent. */
function capture(answer: () => Response | Promise<Response>) {
  const bodies: Record<string, unknown>[] = [];
  server.use(
    http.post(generateUrl, async ({ request }) => {
      bodies.push((await request.json()) as Record<string, unknown>);
      return answer();
    }),
  );
  return bodies;
}

function response(parts: unknown[], extra: Record<string, unknown> = {}) {
  return {
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 3, thoughtsTokenCount: 40 },
    ...extra,
  };
}

function googleError(status: number, statusName: string, message: string) {
  return HttpResponse.json({ error: { code: status, message, status: statusName } }, { status });
}

describe("the Gemini adapter", () => {
  it("leaves thoughts out of the text and bills them as output", async () => {
    capture(() =>
      HttpResponse.json(response([{ text: "Let me think…", thought: true }, { text: "4" }])),
    );
    const result = await gemini().complete(providerRequest());
    expect(result).toEqual({
      text: "4",
      usage: { inputTokens: 12, outputTokens: 43 },
      finishReason: "stop",
    });
  });

  it("says `length` for MAX_TOKENS and `content_filter` for a blocked prompt", async () => {
    capture(() =>
      HttpResponse.json({
        candidates: [
          { content: { role: "model", parts: [{ text: "cut" }] }, finishReason: "MAX_TOKENS" },
        ],
      }),
    );
    expect((await gemini().complete(providerRequest())).finishReason).toBe("length");
    server.resetHandlers();
    capture(() =>
      HttpResponse.json({
        promptFeedback: { blockReason: "SAFETY" },
        usageMetadata: { promptTokenCount: 5 },
      }),
    );
    expect(await gemini().complete(providerRequest())).toMatchObject({
      text: "",
      finishReason: "content_filter",
    });
  });

  it("asks for JSON: any object in words, a schema without its $schema", async () => {
    const bodies = capture(() => HttpResponse.json(response([{ text: "{}" }])));
    await gemini().complete(providerRequest({ system: "Be exact.", json: { schema: undefined } }));
    const schema = { type: "object", properties: { a: { type: "string" } } };
    await gemini().complete(
      providerRequest({
        json: { schema: { $schema: "https://json-schema.org/draft/2020-12/schema", ...schema } },
      }),
    );
    expect(bodies[0]?.generationConfig).toEqual({ responseMimeType: "application/json" });
    expect(JSON.stringify(bodies[0]?.systemInstruction)).toMatch(
      /Be exact\.\\n\\nRespond with one valid JSON object/,
    );
    expect(bodies[1]?.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
  });

  it("sends functions without their $schema, tool choices as calling modes and a turn's results in one user turn", async () => {
    const bodies = capture(() => HttpResponse.json(response([{ text: "done" }])));
    const parameters = { type: "object", properties: { x: { type: "number" } } };
    const definitions = [
      {
        name: "f",
        parameters: { $schema: "http://json-schema.org/draft-07/schema#", ...parameters },
      },
    ];
    await gemini().complete(
      providerRequest({
        tools: { definitions, choice: "none", parallel: undefined },
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: "",
            toolCalls: [
              { id: "a", name: "f", arguments: '{"x":1}' },
              { id: "b", name: "g", arguments: "not json" },
            ],
          },
          { role: "tool", toolCallId: "a", content: "1" },
          { role: "tool", toolCallId: "b", content: "2" },
        ],
      }),
    );
    await gemini().complete(
      providerRequest({ tools: { definitions, choice: "auto", parallel: false } }),
    );
    expect(bodies[0]?.toolConfig).toEqual({ functionCallingConfig: { mode: "NONE" } });
    // The draft the AI SDK and zod declare is not a keyword Gemini takes.
    expect(bodies[0]?.tools).toEqual([
      { functionDeclarations: [{ name: "f", parametersJsonSchema: parameters }] },
    ]);
    expect(bodies[0]?.contents).toEqual([
      { role: "user", parts: [{ text: "go" }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "f", args: { x: 1 } },
            thoughtSignature: "skip_thought_signature_validator",
          },
          {
            functionCall: { name: "g", args: {} },
            thoughtSignature: "skip_thought_signature_validator",
          },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "f", response: { output: "1" } } },
          { functionResponse: { name: "g", response: { output: "2" } } },
        ],
      },
    ]);
    expect(bodies[1]?.toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
  });

  it("maps Google's errors to kinds, without the key", async () => {
    capture(() => googleError(503, "UNAVAILABLE", "The model is overloaded."));
    const overloaded = await rejection(gemini().complete(providerRequest()));
    expect(overloaded).toBeInstanceOf(ProviderError);
    expect(overloaded).toMatchObject({ kind: "server", status: 503 });
    expect((overloaded as Error).message).toBe("The model is overloaded.");

    server.resetHandlers();
    capture(() => googleError(400, "INVALID_ARGUMENT", `API key not valid: ${geminiKey}`));
    const invalid = await rejection(gemini().complete(providerRequest()));
    expect(invalid).toMatchObject({ kind: "rejected", status: 400 });
    expect((invalid as Error).message).not.toContain(geminiKey);
  });

  it("gives the caller's abort reason when the caller gives up", async () => {
    const controller = new AbortController();
    server.use(
      http.post(generateUrl, async ({ request }) => {
        controller.abort(new Error("caller left"));
        await untilAborted(request.signal);
        return HttpResponse.json(response([]));
      }),
    );
    const error = await rejection(
      gemini().complete(providerRequest({ signal: controller.signal })),
    );
    expect((error as Error).message).toBe("caller left");
  });

  it("fails a stream that ends before Google's finish reason", async () => {
    capture(() =>
      sseResponse([
        `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: "Hal" }] } }] })}\r\n\r\n`,
      ]),
    );
    const { chunks, error } = await drain(gemini(), providerRequest());
    expect(chunks).toEqual([{ type: "delta", text: "Hal" }]);
    expect(error).toMatchObject({ kind: "connection" });
  });
});
