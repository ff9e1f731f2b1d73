/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` and `GET /v1/models`, so any OpenAI
 * client, SDK or tool can use the gateway with `baseURL: <gateway>/v1` and an OfficeLLM token as
 * its API key. Requests run through the same CompletionService as `/api/v1/completions`, so
 * limits, cache, budgets and the ledger all apply.
 *
 * Requests are read leniently: fields OpenAI knows and we do not need (`user`, `seed`, `top_p`,
 * `logprobs`…) are accepted and ignored; fields asking for what the gateway cannot do (`n > 1`,
 * tools, non-text content parts, audio output) are refused with 400 naming the field.
 * Answers are in OpenAI's wire format; errors before a stream starts use the gateway's envelope
 * `{"error":{"code","message","requestId"}}`, whose `error.message` the OpenAI SDKs show.
 */
import { randomUUID } from "node:crypto";
import type { Response } from "express";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { setLlmHeaders } from "./llm-headers.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { EventStream } from "../http/sse.ts";
import { relayCompletionStream, type StreamWriter } from "./stream-completion.ts";
import type { CompletionRequest } from "../llm/request/completion-request.ts";
import type {
  CallContext,
  CompletionOutcome,
  CompletionService,
} from "../llm/completion-service.ts";
import type { ChatMessage } from "../llm/types.ts";

const textPart = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
});

/** A message's content: a string, or an array of parts of which only text parts are usable. */
const messageContent = z
  .union([z.string(), z.array(textPart).max(1000)], {
    error: "must be a string or an array of text parts",
  })
  .superRefine((content, ctx) => {
    if (typeof content === "string") return;
    content.forEach((part, index) => {
      if (part.type !== "text") {
        ctx.addIssue({
          code: "custom",
          path: [index, "type"],
          message: `only text parts are supported, not '${part.type}'`,
        });
      } else if (part.text === undefined) {
        ctx.addIssue({ code: "custom", path: [index, "text"], message: "is required" });
      }
    });
  });

const unsupported = (what: string) => `${what} is not supported by this gateway`;

const messageSchema = z
  .looseObject({
    role: z.enum(["system", "developer", "user", "assistant"], {
      error: "must be system, developer, user or assistant (tool messages are not supported)",
    }),
    content: messageContent,
    name: z.string().optional(),
    tool_calls: z.array(z.unknown()).max(0, unsupported("tool_calls")).nullish(),
    function_call: z.null({ error: unsupported("function_call") }).optional(),
    audio: z.null({ error: unsupported("audio") }).optional(),
  })
  .describe("A chat message; content is a string or an array of `{type: 'text', text}` parts");

const responseFormatSchema = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({
      type: z.literal("json_schema"),
      json_schema: z.looseObject({
        name: z.string().optional(),
        description: z.string().optional(),
        schema: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
      }),
    }),
  ],
  { error: "type must be text, json_object or json_schema" },
);

const stopSchema = z.union([z.string().min(1), z.array(z.string().min(1)).max(4)], {
  error: "must be a string or an array of up to 4 strings",
});

/**
 * OpenAI's chat completion request. Not strict: OpenAI adds fields often and clients send them
 * by default; those that do not change what the answer must be are ignored.
 */
export const chatCompletionRequestSchema = z
  .looseObject({
    model: z.string().min(1).describe("A model id from GET /v1/models"),
    messages: z.array(messageSchema).min(1).max(1000),
    temperature: z.number().min(0).max(2).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    stop: stopSchema.nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    response_format: responseFormatSchema.nullish(),
    n: z
      .number()
      .int()
      .min(1)
      .max(1, "only one choice (n: 1) is supported by this gateway")
      .nullish(),
    tools: z.array(z.unknown()).max(0, unsupported("tools (function calling)")).nullish(),
    functions: z.array(z.unknown()).max(0, unsupported("functions (function calling)")).nullish(),
    tool_choice: z
      .enum(["none", "auto"], { error: unsupported("tool_choice other than none or auto") })
      .nullish(),
    function_call: z
      .enum(["none", "auto"], { error: unsupported("function_call other than none or auto") })
      .nullish(),
    modalities: z
      .array(z.literal("text", { error: "only text output is supported by this gateway" }))
      .max(2)
      .nullish(),
    audio: z.null({ error: unsupported("audio output") }).optional(),
  })
  .describe(
    "OpenAI's chat completion request. Other OpenAI fields (user, seed, top_p, logprobs, " +
      "presence_penalty…) are accepted and ignored; n > 1, tools and non-text content are refused.",
  );

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;

const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int().describe("Unix time in seconds"),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal("assistant"),
        content: z.string(),
        refusal: z.null(),
      }),
      logprobs: z.null(),
      finish_reason: z.literal("stop"),
    }),
  ),
  usage: usageSchema,
  system_fingerprint: z.null(),
});

const modelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal("model"),
      created: z.number().int(),
      owned_by: z.string().describe("The provider that serves the model"),
    }),
  ),
});

/** Text of a message's content; text parts are joined with a line break. */
function contentText(content: ChatCompletionRequest["messages"][number]["content"]): string {
  if (typeof content === "string") return content;
  return content.map((part) => part.text ?? "").join("\n");
}

/** OpenAI's request, as the gateway's own completion request. */
export function toCompletionRequest(
  body: ChatCompletionRequest,
): Omit<CompletionRequest, "stream"> {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    role: message.role === "developer" ? "system" : message.role,
    content: contentText(message.content),
  }));
  const format = body.response_format;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const request: Omit<CompletionRequest, "stream"> = { model: body.model, messages };
  if (body.temperature !== undefined && body.temperature !== null)
    request.temperature = body.temperature;
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (body.stop !== undefined && body.stop !== null) request.stop = body.stop;
  if (format?.type === "json_object") request.responseFormat = { type: "json" };
  if (format?.type === "json_schema") {
    const schema = format.json_schema.schema;
    request.responseFormat = schema ? { type: "json", schema } : { type: "json" };
  }
  return request;
}

function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

function openAiUsage(outcome: CompletionOutcome) {
  const { inputTokens, outputTokens } = outcome.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

/**
 * Writes one streamed answer as OpenAI `chat.completion.chunk` events, then `data: [DONE]`; a
 * failure after the stream began is one `data: {"error":…}` line, as OpenAI sends it.
 */
function chunkWriter(
  events: EventStream,
  base: { id: string; created: number; model: string },
  includeUsage: boolean,
): StreamWriter {
  const chunk = (delta: Record<string, unknown>, finishReason: "stop" | null) => ({
    ...base,
    object: "chat.completion.chunk",
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // Like OpenAI: with include_usage, every chunk carries `usage: null` but the last one.
    ...(includeUsage ? { usage: null } : {}),
  });
  const send = (data: unknown) => events.sendData(JSON.stringify(data));
  return {
    start: () => send(chunk({ role: "assistant", content: "" }, null)),
    delta(text) {
      if (text) send(chunk({ content: text }, null));
    },
    done(outcome) {
      send(chunk({}, "stop"));
      if (includeUsage)
        send({
          ...base,
          object: "chat.completion.chunk",
          system_fingerprint: null,
          choices: [],
          usage: openAiUsage(outcome),
        });
      events.sendData("[DONE]");
    },
    error: send,
  };
}

export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

export function openAiCompatibleRoutes(deps: {
  completions: CompletionService;
  clock: Clock;
}): Route[] {
  const { completions, clock } = deps;

  async function streamAnswer(
    body: ChatCompletionRequest,
    request: Omit<CompletionRequest, "stream">,
    context: CallContext,
    res: Response,
  ): Promise<void> {
    const prepared = await completions.prepare(request, context.caller.tokenId);
    const opened = await completions.stream(prepared, context);
    await relayCompletionStream(res, opened, context, (events) =>
      chunkWriter(
        events,
        { id: completionId(), created: unixSeconds(clock), model: opened.model },
        body.stream_options?.include_usage === true,
      ),
    );
  }

  return [
    defineRoute({
      method: "post",
      path: "/v1/chat/completions",
      access: "llm",
      tag: "OpenAI-compatible",
      summary: "OpenAI's chat completions API, for OpenAI clients, SDKs and tools",
      description:
        "Point an OpenAI client's base URL at `<this server>/v1` and use an OfficeLLM token as " +
        "its API key. `stream: true` answers with OpenAI's `chat.completion.chunk` events and " +
        "`data: [DONE]`; a failure after the stream began arrives as one " +
        '`data: {"error":{…}}` line. Limits, budgets, the cache (on at temperature 0) and the ' +
        "usage ledger apply as on /api/v1/completions.",
      body: chatCompletionRequestSchema,
      response: chatCompletionSchema,
      handle: async ({ body, ...context }, _req, res) => {
        const request = toCompletionRequest(body);
        if (body.stream) return streamAnswer(body, request, context, res);
        const prepared = await completions.prepare(request, context.caller.tokenId);
        const outcome = await completions.run(prepared, context);
        setLlmHeaders(res, outcome);
        return {
          id: completionId(),
          object: "chat.completion",
          created: unixSeconds(clock),
          model: outcome.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: outcome.text, refusal: null },
              logprobs: null,
              finish_reason: "stop",
            },
          ],
          usage: openAiUsage(outcome),
          system_fingerprint: null,
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/models",
      access: "llm",
      tag: "OpenAI-compatible",
      summary: "The models this deployment offers, in OpenAI's list format",
      response: modelListSchema,
      handle: () => ({
        object: "list",
        data: completions.registry.list().map((model) => ({
          id: model.id,
          object: "model",
          created: 0,
          owned_by: model.provider,
        })),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/models/:model",
      access: "llm",
      tag: "OpenAI-compatible",
      summary: "One model, in OpenAI's format",
      response: modelListSchema.shape.data.element,
      handle: ({ params }) => {
        const model = completions.registry.list().find((known) => known.id === params.model);
        if (!model) throw new ApiError("not_found", `No model '${params.model}'`);
        return { id: model.id, object: "model", created: 0, owned_by: model.provider };
      },
    }),
  ];
}
