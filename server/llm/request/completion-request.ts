import { z } from "zod";
import { errorCodeSchema } from "../../errors.ts";
import { fileIdsField } from "../../files/schemas.ts";
import type { ToolOffer } from "../types.ts";

/** The bodies of POST /api/v1/completions and of each batch item, and their answers. */

export const chatMessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

/** A function's name, as OpenAI and Anthropic both take it. */
export const functionNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -");

/** The most function calls one assistant turn may carry back. */
export const maxToolCallsPerTurn = 128;

export const toolCallSchema = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  arguments: z.string().describe("The arguments as JSON text, as the model wrote them"),
});

/**
 * A message of a completion that may offer functions: besides system, user and assistant turns,
 * an assistant's `toolCalls` and a tool's result (`role: "tool"`, `toolCallId`, the result as
 * `content`).
 */
export const toolChatMessageSchema = z
  .strictObject({
    role: z.enum(["system", "user", "assistant", "tool"]),
    content: z.string(),
    toolCalls: z.array(toolCallSchema).max(maxToolCallsPerTurn).optional(),
    toolCallId: z.string().min(1).max(200).optional(),
  })
  .superRefine((message, ctx) => {
    if (message.role === "tool" && message.toolCallId === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["toolCallId"],
        message: "is required on a tool message",
      });
    if (message.role !== "tool" && message.toolCallId !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["toolCallId"],
        message: "only a tool message has one",
      });
    if (message.role !== "assistant" && message.toolCalls?.length)
      ctx.addIssue({
        code: "custom",
        path: ["toolCalls"],
        message: "only an assistant message calls functions",
      });
  });

/** The functions a native request offers, how the model may use them, and its parallel calls. */
export const toolFields = {
  tools: z
    .array(
      z.strictObject({
        name: functionNameSchema,
        description: z.string().max(10_000).optional(),
        parameters: z
          .record(z.string(), z.unknown())
          .optional()
          .describe("The arguments' JSON Schema (within the SCHEMA_MAX_* limits)"),
      }),
    )
    // A ceiling for the schema; TOOLS_MAX (128 by default, at most this) is checked after.
    .max(1024, "at most 1,024 tools")
    .optional()
    .describe("Functions the model may call (at most TOOLS_MAX)"),
  toolChoice: z
    .union([z.enum(["auto", "none", "required"]), z.strictObject({ name: z.string().min(1) })], {
      error: "must be auto, none, required or {name}",
    })
    .optional()
    .describe(
      "Whether the model may (auto), must (required) or must not (none) call a function, or must call the one named",
    ),
  parallelToolCalls: z
    .boolean()
    .optional()
    .describe("false: at most one call per turn; default: the provider's"),
};

type ToolFields = { [K in keyof typeof toolFields]?: z.output<(typeof toolFields)[K]> };

/** A native request's tool fields as the gateway's offer; undefined when it offers none. */
export function toolOfferOf(fields: ToolFields): ToolOffer | undefined {
  if (!fields.tools?.length) return undefined;
  return {
    definitions: fields.tools,
    choice: fields.toolChoice,
    parallel: fields.parallelToolCalls,
  };
}

const variableValue = z.union([z.string(), z.number(), z.boolean()]);

export const completionFields = {
  prompt: z
    .string()
    .min(1)
    .optional()
    .describe("The question; or send `messages`, or `templateId`"),
  messages: z.array(chatMessageSchema).min(1).max(1000).optional(),
  system: z.string().optional(),
  templateId: z.string().min(1).optional().describe("Use a saved prompt template"),
  variables: z
    .record(z.string(), variableValue)
    .optional()
    .describe("Values for the template's {{variables}}"),
  model: z.string().min(1).optional(),
  fallbackModels: z
    .array(z.string().min(1))
    .max(3)
    .optional()
    .describe("Tried in order if the model fails"),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).optional(),
  responseFormat: z
    .strictObject({
      type: z.enum(["text", "json"]),
      schema: z
        .record(z.string(), z.unknown())
        .optional()
        .describe("A JSON Schema the answer must match"),
    })
    .optional(),
  cache: z.boolean().optional().describe("Default: on when temperature is 0"),
  fileIds: fileIdsField,
};

function exactlyOneSource(
  request: { prompt?: unknown; messages?: unknown; templateId?: unknown },
  ctx: z.RefinementCtx,
) {
  const sources = ["prompt", "messages", "templateId"].filter(
    (key) => request[key as keyof typeof request] !== undefined,
  );
  if (sources.length !== 1) {
    ctx.addIssue({
      code: "custom",
      path: sources.length === 0 ? ["prompt"] : [sources[1]!],
      message:
        sources.length === 0
          ? "send one of prompt, messages or templateId"
          : `send only one of ${sources.join(", ")}`,
    });
  }
}

export const completionRequestSchema = z
  .strictObject({
    ...completionFields,
    messages: z.array(toolChatMessageSchema).min(1).max(1000).optional(),
    ...toolFields,
    stream: z.boolean().optional(),
  })
  .superRefine(exactlyOneSource);

export const batchItemSchema = z
  .strictObject({ id: z.string().max(200).optional(), ...completionFields })
  .superRefine(exactlyOneSource);

export type CompletionRequest = z.output<typeof completionRequestSchema>;
export type BatchItem = z.output<typeof batchItemSchema>;

export const completionResponseSchema = z.object({
  id: z.string(),
  model: z.string(),
  provider: z.string(),
  text: z.string(),
  json: z.unknown().optional(),
  toolCalls: z
    .array(toolCallSchema)
    .optional()
    .describe("The functions the model called, when it called any"),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }),
  cached: z.boolean(),
  latencyMs: z.number(),
});

/** One batch item's answer: its completion, or its own failure. */
export const batchItemResultSchema = z.union([
  completionResponseSchema.extend({
    id: z.string().describe("The item's id, or its index"),
    ok: z.literal(true),
    completionId: z.string(),
  }),
  z.object({
    id: z.string(),
    ok: z.literal(false),
    error: z.object({ code: errorCodeSchema, message: z.string() }),
  }),
]);

export type BatchItemResult = z.output<typeof batchItemResultSchema>;

/** The answer of POST /api/v1/batch: one result per item, in the items' order. */
export const batchResponseSchema = z.object({ results: z.array(batchItemResultSchema) });
