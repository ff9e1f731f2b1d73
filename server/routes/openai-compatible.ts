/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` and `GET /v1/models`, so any OpenAI
 * client, SDK or tool can use the gateway with `baseURL: <gateway>/v1` and an OfficeLLM token as
 * its API key. Requests run through the same CompletionService as `/api/v1/completions`, so
 * limits, cache, budgets and the ledger all apply.
 *
 * Requests are read leniently: fields OpenAI knows and we do not need (`user`, `seed`, `top_p`,
 * `logprobs`…) are accepted and ignored; fields asking for what the gateway cannot do (`n > 1`,
 * audio or file content parts, audio output) are refused with 400 naming the field. Image parts
 * go to models that read images (the catalog's `vision`); their URLs are never fetched here.
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
import type { CompletionInput } from "../llm/request/prepare.ts";
import type {
  CallContext,
  CompletionOutcome,
  CompletionService,
} from "../llm/completion-service.ts";
import type { ModelRegistry } from "../llm/model-registry.ts";
import type { ChatMessage, ContentPart, ToolOffer } from "../llm/types.ts";
import { imageDetailSchema, imageUrlSchema, turnOfParts } from "../llm/request/images.ts";
import { functionNameSchema, maxToolCallsPerTurn } from "../llm/request/completion-request.ts";

const contentPart = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  image_url: z.looseObject({ url: imageUrlSchema, detail: imageDetailSchema }).optional(),
});

/** A message's content: a string, or an array of text and image_url parts. */
const messageContent = z
  .union([z.string(), z.array(contentPart).max(1000)], {
    error: "must be a string or an array of text and image_url parts",
  })
  .superRefine((content, ctx) => {
    if (typeof content === "string") return;
    content.forEach((part, index) => {
      if (part.type === "text") {
        if (part.text === undefined)
          ctx.addIssue({ code: "custom", path: [index, "text"], message: "is required" });
      } else if (part.type === "image_url") {
        if (part.image_url === undefined)
          ctx.addIssue({ code: "custom", path: [index, "image_url"], message: "is required" });
      } else {
        ctx.addIssue({
          code: "custom",
          path: [index, "type"],
          message: `only text and image_url parts are supported, not '${part.type}'`,
        });
      }
    });
  });

const unsupported = (what: string) => `${what} is not supported by this gateway`;

const toolCallSchema = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string().min(1).max(200), arguments: z.string() }),
});

const messageSchema = z
  .looseObject({
    role: z.enum(["system", "developer", "user", "assistant", "tool"], {
      error: "must be system, developer, user, assistant or tool",
    }),
    // null for an assistant turn that only calls functions.
    content: messageContent.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).max(maxToolCallsPerTurn).nullish(),
    tool_call_id: z.string().min(1).max(200).optional(),
    function_call: z.null({ error: unsupported("function_call") }).optional(),
    audio: z.null({ error: unsupported("audio") }).optional(),
  })
  .superRefine((message, ctx) => {
    if (message.role === "tool" && message.tool_call_id === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["tool_call_id"],
        message: "is required on a tool message",
      });
    if (message.role !== "assistant" && message.tool_calls?.length)
      ctx.addIssue({
        code: "custom",
        path: ["tool_calls"],
        message: "only an assistant message calls functions",
      });
    if ((message.content === undefined || message.content === null) && !message.tool_calls?.length)
      ctx.addIssue({ code: "custom", path: ["content"], message: "is required" });
    if (
      message.role !== "user" &&
      Array.isArray(message.content) &&
      message.content.some((part) => part.type === "image_url")
    )
      ctx.addIssue({
        code: "custom",
        path: ["content"],
        message: "only a user message shows images",
      });
  })
  .describe(
    "A chat message; content is a string or an array of `{type: 'text', text}` parts and, in a " +
      "user message, `{type: 'image_url', image_url: {url, detail}}` parts (an https: or " +
      "data:image URL); an assistant's `tool_calls`, a tool's `tool_call_id`",
  );

const toolSchema = z.looseObject({
  type: z.literal("function", { error: "only function tools are supported" }),
  function: z.looseObject({
    name: functionNameSchema,
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoiceSchema = z.union(
  [
    z.enum(["none", "auto", "required"]),
    z.looseObject({
      type: z.literal("function"),
      function: z.looseObject({ name: z.string().min(1) }),
    }),
  ],
  { error: "must be none, auto, required or {type: 'function', function: {name}}" },
);

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
    tools: z
      .array(toolSchema)
      // A ceiling for the schema; TOOLS_MAX (128 by default, at most this) is checked after.
      .max(1024, "at most 1,024 tools")
      .nullish()
      .describe(
        "Functions the model may call (at most TOOLS_MAX; each schema within SCHEMA_MAX_*)",
      ),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    functions: z
      .array(z.unknown())
      .max(0, unsupported("functions (the legacy function calling; send tools)"))
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
      "presence_penalty…) are accepted and ignored; n > 1 and audio or file parts are refused.",
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
        content: z.string().nullable().describe("null when the model only called functions"),
        refusal: z.null(),
        tool_calls: z
          .array(
            z.object({
              id: z.string(),
              type: z.literal("function"),
              function: z.object({ name: z.string(), arguments: z.string() }),
            }),
          )
          .optional(),
      }),
      logprobs: z.null(),
      finish_reason: z.enum(["stop", "tool_calls"]),
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

type ChatRequestMessage = ChatCompletionRequest["messages"][number];

/** A message's content as the gateway's parts: text, and images by URL. */
function contentParts(content: ChatRequestMessage["content"]): ContentPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((part) =>
    part.type === "image_url" && part.image_url
      ? { type: "image", url: part.image_url.url, detail: part.image_url.detail }
      : { type: "text", text: part.text ?? "" },
  );
}

function toMessage(message: ChatRequestMessage): ChatMessage {
  const role = message.role === "developer" ? "system" : message.role;
  const turn = turnOfParts(role, contentParts(message.content));
  if (message.tool_calls?.length)
    turn.toolCalls = message.tool_calls.map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    }));
  if (message.role === "tool") turn.toolCallId = message.tool_call_id;
  return turn;
}

/** OpenAI's `tools`, `tool_choice` and `parallel_tool_calls` as the gateway's offer. */
function toolOffer(body: ChatCompletionRequest): ToolOffer | undefined {
  if (!body.tools?.length) return undefined;
  const choice = body.tool_choice ?? undefined;
  return {
    definitions: body.tools.map(({ function: tool }) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
    })),
    choice: typeof choice === "object" ? { name: choice.function.name } : choice,
    parallel: body.parallel_tool_calls ?? undefined,
  };
}

/** OpenAI's request, as the gateway's own completion request. */
export function toCompletionRequest(body: ChatCompletionRequest): CompletionInput {
  const messages = body.messages.map(toMessage);
  const format = body.response_format;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const request: CompletionInput = { model: body.model, messages };
  const tools = toolOffer(body);
  if (tools) request.tools = tools;
  if (body.temperature !== undefined && body.temperature !== null)
    request.temperature = body.temperature;
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (body.stop !== undefined && body.stop !== null) request.stop = body.stop;
  if (format?.type === "json_object") request.responseFormat = { type: "json" };
  if (format?.type === "json_schema") {
    const schema = format.json_schema.schema;
    request.responseFormat = schema ? { type: "json", schema } : { type: "json" };
    request.schemaField = "body.response_format.json_schema.schema";
  }
  return request;
}

function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

/** The functions an answer called, in OpenAI's words; undefined when it called none. */
function openAiToolCalls(outcome: CompletionOutcome) {
  return outcome.toolCalls?.map((call) => ({
    id: call.id,
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments },
  }));
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
  const chunk = (delta: Record<string, unknown>, finishReason: "stop" | "tool_calls" | null) => ({
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
      // Each call whole, in one delta: clients join a call's pieces by index, one piece or many.
      const calls = openAiToolCalls(outcome);
      if (calls)
        send(chunk({ tool_calls: calls.map((call, index) => ({ index, ...call })) }, null));
      send(chunk({}, calls ? "tool_calls" : "stop"));
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

/** Every name a caller may use, with the provider that serves it: models, then aliases. */
function offeredNames(registry: ModelRegistry): { id: string; provider: string }[] {
  return [
    ...registry.list().map(({ id, provider }) => ({ id, provider })),
    ...registry.aliases().map(({ alias, model }) => ({ id: alias, provider: model.provider })),
  ];
}

function openAiModel(named: { id: string; provider: string }) {
  return { id: named.id, object: "model" as const, created: 0, owned_by: named.provider };
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
    request: CompletionInput,
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
        const toolCalls = openAiToolCalls(outcome);
        return {
          id: completionId(),
          object: "chat.completion",
          created: unixSeconds(clock),
          model: outcome.model,
          choices: [
            {
              index: 0,
              message: toolCalls
                ? {
                    role: "assistant",
                    content: outcome.text || null,
                    refusal: null,
                    tool_calls: toolCalls,
                  }
                : { role: "assistant", content: outcome.text, refusal: null },
              logprobs: null,
              finish_reason: toolCalls ? "tool_calls" : "stop",
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
      description:
        "Exactly the names a request may use: the models offered, then the operator's aliases.",
      response: modelListSchema,
      handle: () => ({ object: "list", data: offeredNames(completions.registry).map(openAiModel) }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/models/:model",
      access: "llm",
      tag: "OpenAI-compatible",
      summary: "One model, in OpenAI's format",
      response: modelListSchema.shape.data.element,
      handle: ({ params }) => {
        const named = offeredNames(completions.registry).find(({ id }) => id === params.model);
        if (!named) throw new ApiError("not_found", `No model '${params.model}'`);
        return openAiModel(named);
      },
    }),
  ];
}
