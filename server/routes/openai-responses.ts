/**
 * OpenAI's Responses API, `POST /v1/responses`, for the parts clients use: the Vercel AI SDK's
 * default `openai("…")` model, the official SDK's `client.responses`, agents built on them. Like
 * `/v1/chat/completions` it runs through the CompletionService (limits, cache, budgets, ledger),
 * and so works for every provider: Anthropic models and local OpenAI-compatible servers get the
 * request as the gateway's own chat call.
 *
 * OfficeLLM keeps no responses: `store: true`, `previous_response_id` and `conversation` are
 * refused with 400 saying so (the caller sends the whole conversation as `input`), and every
 * answer says `store: false`. Unless the caller itself sent `store: false`, the items of its
 * answers are kept for a while, as the response cache keeps answers, so that an `item_reference` to one (the AI SDK sends one for each earlier
 * answer it sends back) is answered with the item. Function tools are carried (`function_call` and
 * `function_call_output` items); built-in tools are refused. Image parts (`input_image` with an https: or data: URL) go
 * to models that read images, as on chat; file and audio parts are refused.
 */
import { randomUUID } from "node:crypto";
import type { Response } from "express";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ApiError, type ErrorEnvelope } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { EventStream } from "../http/sse.ts";
import { cacheKey, type ResponseCache } from "../llm/cache/response-cache.ts";
import type {
  CallContext,
  CompletionOutcome,
  CompletionService,
} from "../llm/completion-service.ts";
import type { CompletionInput } from "../llm/request/prepare.ts";
import type { ChatMessage, ContentPart, ToolOffer } from "../llm/types.ts";
import { functionNameSchema } from "../llm/request/completion-request.ts";
import { imageDetailSchema, imageUrlSchema, turnOfParts } from "../llm/request/images.ts";
import { setLlmHeaders } from "./llm-headers.ts";
import { unixSeconds } from "./openai-compatible.ts";
import { relayCompletionStream, type StreamWriter } from "./stream-completion.ts";

const noStore = "OfficeLLM keeps no responses: send the whole conversation as input (store: false)";

/**
 * Whether an answer's items are kept for `item_reference`: unless the caller said `store: false`,
 * as a client does that sends its earlier answers back whole (the AI SDK so told).
 */
const keepsItems = (body: { store?: boolean | null | undefined }) => body.store !== false;
const unsupported = (what: string) => `${what} is not supported by this gateway`;

/** Parts whose text is usable: what a caller wrote, and earlier answers sent back. */
const textPartTypes = new Set(["input_text", "output_text"]);

const contentPart = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  refusal: z.string().optional(),
  image_url: imageUrlSchema.nullish(),
  detail: imageDetailSchema,
});

/** A function call the model made, sent back; and a function's result. */
const functionCallItemSchema = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  arguments: z.string(),
});
const functionCallOutputItemSchema = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1).max(200),
  output: z.string({ error: "must be the function's result as text" }),
});
/** An item of an earlier answer, by its id (answered from the items kept: OutputItems). */
const itemReferenceSchema = z.looseObject({
  type: z.literal("item_reference"),
  id: z.string().min(1).max(200),
});
const ownSchemas = {
  function_call: functionCallItemSchema,
  function_call_output: functionCallOutputItemSchema,
  item_reference: itemReferenceSchema,
};

const messageItemSchema = z
  .looseObject({
    type: z.string().optional(),
    role: z.string().optional(),
    content: z.union([z.string(), z.array(contentPart).max(1000)]).optional(),
  })
  .superRefine((item, ctx) => {
    if (item.type !== undefined && Object.hasOwn(ownSchemas, item.type)) {
      // Reached only when the item's own schema refused it (see the union below): say why.
      const own = ownSchemas[item.type as keyof typeof ownSchemas];
      for (const issue of own.safeParse(item).error?.issues ?? [])
        ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
      return;
    }
    if (item.type !== undefined && item.type !== "message") {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message:
          `'${item.type}' items are not supported by this gateway (only messages, ` +
          "function_call, function_call_output and item_reference)",
      });
      return;
    }
    if (!["system", "developer", "user", "assistant"].includes(item.role ?? "")) {
      ctx.addIssue({
        code: "custom",
        path: ["role"],
        message: "must be system, developer, user or assistant",
      });
    }
    if (item.content === undefined) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "is required" });
    } else if (typeof item.content !== "string") {
      item.content.forEach((part, index) => {
        if (part.type === "refusal" && part.refusal !== undefined) return;
        if (part.type === "input_image") {
          if (item.role !== "user")
            ctx.addIssue({
              code: "custom",
              path: ["content", index, "type"],
              message: "only a user message shows images",
            });
          else if (!part.image_url)
            ctx.addIssue({
              code: "custom",
              path: ["content", index, "image_url"],
              message: "is required (an https: or data:image URL; file_id is not supported)",
            });
        } else if (!textPartTypes.has(part.type)) {
          ctx.addIssue({
            code: "custom",
            path: ["content", index, "type"],
            message: `only text and image parts (input_text, output_text, input_image) are supported, not '${part.type}'`,
          });
        } else if (part.text === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["content", index, "text"],
            message: "is required",
          });
        }
      });
    }
  })
  .describe(
    "A message item: role and content (a string or input_text / output_text parts, and in a " +
      "user message input_image parts with an https: or data:image `image_url`)",
  );

/** An input item: a message, a function call sent back, a function's result, or a reference. */
const inputItemSchema = z.union([
  functionCallItemSchema,
  functionCallOutputItemSchema,
  itemReferenceSchema,
  messageItemSchema,
]);

const textFormatSchema = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({
      type: z.literal("json_schema"),
      name: z.string().optional(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullish(),
    }),
  ],
  { error: "type must be text, json_object or json_schema" },
);

const functionToolSchema = z.looseObject({
  type: z.literal("function", {
    error: "only function tools are supported by this gateway (no built-in tools)",
  }),
  name: functionNameSchema,
  description: z.string().max(10_000).nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const toolChoiceSchema = z.union(
  [
    z.enum(["none", "auto", "required"]),
    z.looseObject({ type: z.literal("function"), name: z.string().min(1) }),
  ],
  { error: "must be none, auto, required or {type: 'function', name}" },
);

/**
 * The Responses API request. Not strict: fields that do not change what the answer must be
 * (`user`, `metadata`, `top_p`, `truncation`, `include`, `reasoning`…) are accepted and ignored.
 */
export const responseRequestSchema = z
  .looseObject({
    model: z.string().min(1).describe("A model id from GET /v1/models"),
    input: z.union([z.string(), z.array(inputItemSchema).min(1).max(1000)], {
      error: "must be a string or an array of message items",
    }),
    instructions: z.string().nullish().describe("A system message placed before the input"),
    temperature: z.number().min(0).max(2).nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    text: z.looseObject({ format: textFormatSchema.optional() }).nullish(),
    stream: z.boolean().nullish(),
    store: z
      .boolean()
      .refine((store) => !store, `store: true is not supported: ${noStore}`)
      .nullish(),
    previous_response_id: z
      .null({ error: `previous_response_id is not supported: ${noStore}` })
      .optional(),
    conversation: z.null({ error: `conversation is not supported: ${noStore}` }).optional(),
    prompt: z.null({ error: unsupported("prompt (stored prompts)") }).optional(),
    background: z
      .boolean()
      .refine((background) => !background, unsupported("background: true"))
      .nullish(),
    tools: z
      .array(functionToolSchema)
      // A ceiling for the schema; TOOLS_MAX (128 by default, at most this) is checked after.
      .max(1024, "at most 1,024 tools")
      .nullish()
      .describe("Function tools the model may call (at most TOOLS_MAX)"),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
  })
  .describe(
    "OpenAI's Responses API request: input as text or message items, instructions, " +
      "temperature, max_output_tokens, text.format. Other fields (user, metadata, top_p, " +
      "reasoning…) are accepted and ignored; built-in tools, file and audio parts and stored " +
      "state are refused.",
  );

export type ResponseRequest = z.output<typeof responseRequestSchema>;
type MessageItem = z.output<typeof messageItemSchema>;
/** An input item once its reference (if it was one) is replaced by the item referred to. */
type InputItem = Exclude<z.output<typeof inputItemSchema>, { type: "item_reference" }>;
/** The request's input with every `item_reference` replaced by its item (OutputItems.resolve). */
type ResolvedInput = string | InputItem[];

const outputTextSchema = z.object({
  type: z.literal("output_text"),
  text: z.string(),
  annotations: z.array(z.never()),
  logprobs: z.array(z.never()),
});

const outputMessageSchema = z.object({
  type: z.literal("message"),
  id: z.string(),
  status: z.enum(["in_progress", "completed"]),
  role: z.literal("assistant"),
  content: z.array(outputTextSchema),
});

const functionCallOutputSchema = z.object({
  type: z.literal("function_call"),
  id: z.string(),
  call_id: z.string().describe("Send the result back with this id (function_call_output)"),
  name: z.string(),
  arguments: z.string().describe("JSON text, as the model wrote it"),
  status: z.literal("completed"),
});

const outputItemSchema = z.union([outputMessageSchema, functionCallOutputSchema]);

const responseObjectSchema = z.object({
  id: z.string(),
  object: z.literal("response"),
  created_at: z.number().int().describe("Unix time in seconds"),
  status: z.enum(["in_progress", "completed"]),
  completed_at: z.number().int().nullable(),
  error: z.null(),
  incomplete_details: z.null(),
  instructions: z.string().nullable(),
  max_output_tokens: z.number().int().nullable(),
  model: z.string(),
  output: z.array(outputItemSchema),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.null(),
  store: z.literal(false),
  temperature: z.number().nullable(),
  text: z.object({ format: z.record(z.string(), z.unknown()) }),
  tool_choice: z.union([
    z.enum(["none", "auto", "required"]),
    z.object({ type: z.literal("function"), name: z.string() }),
  ]),
  tools: z.array(z.record(z.string(), z.unknown())).describe("The function tools offered"),
  top_p: z.null(),
  truncation: z.literal("disabled"),
  usage: z
    .object({
      input_tokens: z.number().int(),
      input_tokens_details: z.object({ cached_tokens: z.number().int() }),
      output_tokens: z.number().int(),
      output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
      total_tokens: z.number().int(),
    })
    .nullable(),
  metadata: z.record(z.string(), z.unknown()),
});

type ResponseObject = z.output<typeof responseObjectSchema>;
type OutputMessage = z.output<typeof outputMessageSchema>;
type OutputItem = z.output<typeof outputItemSchema>;

/** An item's content as the gateway's parts: text (refusals as text), and images by URL. */
function itemParts(content: MessageItem["content"]): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return (content ?? []).map((part) =>
    part.type === "input_image" && part.image_url
      ? { type: "image", url: part.image_url, detail: part.detail }
      : { type: "text", text: part.text ?? part.refusal ?? "" },
  );
}

/** A Responses request (its input resolved), as the gateway's own completion request. */
export function toCompletionRequest(body: ResponseRequest, input: ResolvedInput): CompletionInput {
  const messages: ChatMessage[] = [];
  if (body.instructions) messages.push({ role: "system", content: body.instructions });
  if (typeof input === "string") {
    messages.push({ role: "user", content: input });
  } else {
    for (const item of input) messages.push(...turnOf(item, messages.at(-1)));
  }
  const request: CompletionInput = { model: body.model, messages };
  const tools = toolOffer(body);
  if (tools) request.tools = tools;
  if (body.temperature !== undefined && body.temperature !== null)
    request.temperature = body.temperature;
  if (body.max_output_tokens) request.maxTokens = body.max_output_tokens;
  const format = body.text?.format;
  if (format?.type === "json_object") request.responseFormat = { type: "json" };
  if (format?.type === "json_schema") {
    request.responseFormat = { type: "json", schema: format.schema };
    request.schemaField = "body.text.format.schema";
  }
  return request;
}

/** Whether an input item is of a type with a schema of its own (a message item's `type` is any string). */
function isItem<Type extends keyof typeof ownSchemas>(
  item: z.output<typeof inputItemSchema>,
  type: Type,
): item is Extract<z.output<typeof inputItemSchema>, { type: Type }> {
  return item.type === type;
}

/**
 * An input item as the turn it adds: a message; a function's result as a tool turn; a function
 * call sent back joins the assistant turn just before it (the answer's text and calls were one
 * turn), else makes one.
 */
function turnOf(item: InputItem, previous: ChatMessage | undefined): ChatMessage[] {
  if (isItem(item, "function_call_output"))
    return [{ role: "tool", toolCallId: item.call_id, content: item.output }];
  if (isItem(item, "function_call")) {
    const call = { id: item.call_id, name: item.name, arguments: item.arguments };
    if (previous?.role !== "assistant")
      return [{ role: "assistant", content: "", toolCalls: [call] }];
    previous.toolCalls = [...(previous.toolCalls ?? []), call];
    return [];
  }
  const role = item.role === "developer" ? "system" : (item.role as ChatMessage["role"]);
  return [turnOfParts(role, itemParts(item.content))];
}

/** The request's function tools, choice and parallelism as the gateway's offer. */
function toolOffer(body: ResponseRequest): ToolOffer | undefined {
  if (!body.tools?.length) return undefined;
  const choice = body.tool_choice ?? undefined;
  return {
    definitions: body.tools.map((tool) => ({
      name: tool.name,
      description: tool.description ?? undefined,
      parameters: tool.parameters ?? undefined,
    })),
    choice: typeof choice === "object" ? { name: choice.name } : choice,
    parallel: body.parallel_tool_calls ?? undefined,
  };
}

const hexId = () => randomUUID().replaceAll("-", "");

/** The functions an answer called, as output items. */
function functionCallItems(outcome: CompletionOutcome): OutputItem[] {
  return (outcome.toolCalls ?? []).map((call) => ({
    type: "function_call",
    id: `fc_${hexId()}`,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status: "completed",
  }));
}

/**
 * The items of the answers given, kept per token in a cache of their own with the response
 * cache's lifetime and bounds (shared by every instance when the cache is in Redis), so that a
 * client that sends an earlier answer back as an `item_reference` gets it read as the item. Each
 * token keeps at most its newest items within its share of the bounds (a tenth: `ownerShare`),
 * so that one busy token cannot push out the others' items.
 */
export class OutputItems {
  readonly #cache: ResponseCache;

  constructor(cache: ResponseCache) {
    this.#cache = cache;
  }

  /** Keeps an answer's items for the token they were given to. */
  async keep(tokenId: string, model: string, items: OutputItem[]): Promise<void> {
    const usage = { inputTokens: 0, outputTokens: 0 };
    await Promise.all(
      items.map((item) =>
        this.#cache.set(
          keyOf(tokenId, item.id),
          { text: JSON.stringify(item), usage, model },
          tokenId,
        ),
      ),
    );
  }

  /**
   * The request's input with each `item_reference` replaced by the item it names; a reference to
   * an item not kept for this token (never given to it, or no longer kept) is an `invalid_request`;
   * items that cannot be read (Redis down or not answering) are `unavailable`, to be asked again.
   */
  async resolve(body: ResponseRequest, tokenId: string): Promise<ResolvedInput> {
    if (typeof body.input === "string") return body.input;
    return Promise.all(
      body.input.map(async (item, index): Promise<InputItem> => {
        if (!isItem(item, "item_reference")) return item;
        const kept = await this.#cache.read(keyOf(tokenId, item.id)).catch(() => {
          throw itemsUnreadable();
        });
        const parsed = kept && inputItemSchema.safeParse(JSON.parse(kept.text)).data;
        if (!parsed || isItem(parsed, "item_reference")) {
          const path = `body.input.${index}.id`;
          const message =
            `${item.id} is not an item of an answer this token was given, or is no longer ` +
            "kept (items are kept as the response cache keeps answers): send the item itself " +
            "(with the AI SDK, providerOptions.openai.store = false)";
          throw new ApiError("invalid_request", `${path}: ${message}`, {
            details: [{ path, message }],
          });
        }
        return parsed;
      }),
    );
  }
}

/** The kept items cannot be read now: not the client's fault, and worth asking again shortly. */
function itemsUnreadable(): ApiError {
  return new ApiError(
    "unavailable",
    "The items of earlier answers cannot be read now (the cache is not answering); try again shortly",
    { headers: { "retry-after": "5" } },
  );
}

function keyOf(tokenId: string, itemId: string): string {
  return cacheKey([tokenId, itemId]);
}

function usageOf(outcome: CompletionOutcome): NonNullable<ResponseObject["usage"]> {
  const { inputTokens, outputTokens } = outcome.usage;
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}

/** The response object as it stands: in progress (no output yet), or completed. */
function responseObject(
  body: ResponseRequest,
  meta: { id: string; createdAt: number; model: string },
  state:
    | { status: "in_progress" }
    | {
        status: "completed";
        completedAt: number;
        output: OutputItem[];
        outcome: CompletionOutcome;
      },
): ResponseObject {
  const done = state.status === "completed";
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status: state.status,
    completed_at: done ? state.completedAt : null,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: meta.model,
    output: done ? state.output : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    store: false,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: null,
    truncation: "disabled",
    usage: done ? usageOf(state.outcome) : null,
    metadata: isRecord(body.metadata) ? body.metadata : {},
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function outputMessage(id: string, text: string | undefined): OutputMessage {
  return {
    type: "message",
    id,
    status: text === undefined ? "in_progress" : "completed",
    role: "assistant",
    content:
      text === undefined ? [] : [{ type: "output_text", text, annotations: [], logprobs: [] }],
  };
}

/**
 * Writes one streamed answer as the Responses API's typed events, in OpenAI's order: created,
 * in_progress, the message item and its text part opened, text deltas, then each closed, each
 * function call as an item of its own (its arguments in one delta), and `response.completed`
 * with the whole response. A failure after the stream began is one `error` event, as OpenAI
 * sends it. The message item opens before the answer is known, so an answer that only calls
 * functions still has it, with empty text, first.
 */
function responseEventWriter(
  events: EventStream,
  body: ResponseRequest,
  meta: { id: string; createdAt: number; model: string },
  now: () => number,
  keep: (output: OutputItem[]) => Promise<void>,
): StreamWriter {
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>) =>
    events.send(type, { type, sequence_number: sequence++, ...data });
  const itemId = `msg_${hexId()}`;
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  return {
    start() {
      const response = responseObject(body, meta, { status: "in_progress" });
      send("response.created", { response });
      send("response.in_progress", { response });
      send("response.output_item.added", {
        output_index: 0,
        item: outputMessage(itemId, undefined),
      });
      send("response.content_part.added", {
        ...at,
        part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      });
    },
    delta(piece) {
      if (piece) send("response.output_text.delta", { ...at, delta: piece, logprobs: [] });
    },
    async done(outcome) {
      const message = outputMessage(itemId, outcome.text);
      send("response.output_text.done", { ...at, text: outcome.text, logprobs: [] });
      send("response.content_part.done", { ...at, part: message.content[0] });
      send("response.output_item.done", { output_index: 0, item: message });
      const calls = functionCallItems(outcome);
      calls.forEach((item, index) => {
        if (item.type !== "function_call") return;
        const output_index = index + 1;
        send("response.output_item.added", {
          output_index,
          item: { ...item, arguments: "", status: "in_progress" },
        });
        const place = { item_id: item.id, output_index };
        send("response.function_call_arguments.delta", { ...place, delta: item.arguments });
        send("response.function_call_arguments.done", { ...place, arguments: item.arguments });
        send("response.output_item.done", { output_index, item });
      });
      const output = [message, ...calls];
      // Kept before the client hears the answer is complete, and may send it back.
      await keep(output);
      send("response.completed", {
        response: responseObject(body, meta, {
          status: "completed",
          completedAt: now(),
          output,
          outcome,
        }),
      });
    },
    error(envelope: ErrorEnvelope) {
      send("error", { code: envelope.error.code, message: envelope.error.message, param: null });
    },
  };
}

export function openAiResponsesRoutes(deps: {
  completions: CompletionService;
  items: OutputItems;
  clock: Clock;
}): Route[] {
  const { completions, items, clock } = deps;
  const now = () => unixSeconds(clock);

  async function streamAnswer(
    body: ResponseRequest,
    request: CompletionInput,
    context: CallContext,
    res: Response,
  ): Promise<void> {
    const prepared = await completions.prepare(request, context.caller.tokenId);
    const opened = await completions.stream(prepared, context);
    const meta = { id: `resp_${hexId()}`, createdAt: now(), model: opened.model };
    const keep = (output: OutputItem[]) =>
      keepsItems(body)
        ? items.keep(context.caller.tokenId, opened.model, output)
        : Promise.resolve();
    await relayCompletionStream(res, opened, context, (events) =>
      responseEventWriter(events, body, meta, now, keep),
    );
  }

  return [
    defineRoute({
      method: "post",
      path: "/v1/responses",
      access: "llm",
      tag: "OpenAI-compatible",
      summary:
        "OpenAI's Responses API (text and JSON output, function tools), for OpenAI clients and the AI SDK",
      description:
        "Point an OpenAI client's base URL at `<this server>/v1` and use an OfficeLLM token as " +
        "its API key. `input` is a string or message items; `text.format` asks for JSON or a " +
        "JSON Schema; `tools` offers functions, whose calls come back as `function_call` output " +
        "items and go back in `input` with `function_call_output` items. `stream: true` answers with the typed events (`response.created` … " +
        "`response.output_text.delta` … `response.completed`); a failure after the stream began " +
        "is one `error` event. No response is stored: `store: true`, `previous_response_id` and " +
        "`conversation` are refused; an `item_reference` to an item of an earlier answer to the " +
        "same token is read as the item while the cache keeps it. Limits, budgets, the cache and the usage ledger apply as " +
        "on /v1/chat/completions.",
      body: responseRequestSchema,
      response: responseObjectSchema,
      handle: async ({ body, ...context }, _req, res) => {
        const input = await items.resolve(body, context.caller.tokenId);
        const request = toCompletionRequest(body, input);
        if (body.stream) return streamAnswer(body, request, context, res);
        const createdAt = now();
        const prepared = await completions.prepare(request, context.caller.tokenId);
        const outcome = await completions.run(prepared, context);
        setLlmHeaders(res, outcome);
        const calls = functionCallItems(outcome);
        // An answer that only calls functions has no message item, as OpenAI answers it.
        const message =
          calls.length && !outcome.text ? [] : [outputMessage(`msg_${hexId()}`, outcome.text)];
        const output = [...message, ...calls];
        if (keepsItems(body)) await items.keep(context.caller.tokenId, outcome.model, output);
        return responseObject(
          body,
          { id: `resp_${hexId()}`, createdAt, model: outcome.model },
          { status: "completed", completedAt: now(), output, outcome },
        );
      },
    }),
  ];
}
