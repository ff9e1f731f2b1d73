import { z } from "zod";

/**
 * What GET /api/v1/models answers: the route table's schema, so the OpenAPI document's too. No
 * Node here: the add-in takes its types through server/wire.ts.
 */

export const modelInfoSchema = z.object({
  id: z.string(),
  provider: z.string(),
  kind: z
    .enum(["chat", "embedding", "unknown"])
    .describe(
      "chat: completions; embedding: POST /v1/embeddings; unknown: a local server's model, either",
    ),
  contextWindow: z.number().int(),
  maxOutputTokens: z.number().int(),
  pricePerMillionTokens: z.object({ input: z.number(), output: z.number() }),
  structuredOutput: z.boolean(),
  vision: z.boolean().describe("Whether the model reads images (image_url / input_image parts)"),
  default: z.boolean(),
  /** Set on an operator's alias (MODEL_ALIASES): the model it names, whose figures it shows. */
  aliasOf: z.string().optional(),
});

export const modelsResponseSchema = z.object({
  catalogVersion: z.string(),
  defaultModel: z.string(),
  models: z.array(modelInfoSchema),
});
