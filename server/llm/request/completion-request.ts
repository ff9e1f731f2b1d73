import { z } from "zod";
import { errorCodeSchema } from "../../errors.ts";
import { fileIdsField } from "../../files/schemas.ts";

/** The bodies of POST /api/v1/completions and of each batch item, and their answers. */

export const chatMessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

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
  .strictObject({ ...completionFields, stream: z.boolean().optional() })
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
