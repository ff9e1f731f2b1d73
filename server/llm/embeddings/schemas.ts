import { z } from "zod";

/**
 * The bodies of POST /api/v1/embeddings and POST /v1/embeddings, and their answers. No Node
 * here: the add-in takes its types through server/wire.ts.
 */

/** The most texts a body's schema lets through; EMBEDDING_MAX_INPUTS (at most this) is checked after. */
const inputsCeiling = 2048;

/** The longest vector a request may ask for; a model's own limit is checked after. */
const dimensionsCeiling = 8192;

export const embeddingInputSchema = z
  .union([z.string(), z.array(z.string()).max(inputsCeiling)], {
    error: "must be a text or an array of texts (token arrays are not supported: send the text)",
  })
  .describe(
    "A text, or an array of texts, to embed (at most EMBEDDING_MAX_INPUTS texts and EMBEDDING_MAX_CHARS characters)",
  );

export const dimensionsSchema = z
  .number()
  .int()
  .positive()
  .max(dimensionsCeiling)
  .describe("A shorter vector length, for models that make them (text-embedding-3-*)");

export const embeddingRequestSchema = z.strictObject({
  model: z
    .string()
    .min(1)
    .optional()
    .describe("An embedding model from GET /api/v1/models; the first one offered when not given"),
  input: embeddingInputSchema,
  dimensions: dimensionsSchema.optional(),
  encodingFormat: z
    .enum(["float", "base64"])
    .optional()
    .describe("float (default): arrays of numbers; base64: float32 values, little-endian"),
});

export const embeddingResponseSchema = z.object({
  id: z.string(),
  model: z.string(),
  provider: z.string(),
  embeddings: z
    .array(z.union([z.array(z.number()), z.string()]))
    .describe("One vector per input, in order: numbers, or base64 as encodingFormat asked"),
  dimensions: z.number().int(),
  usage: z.object({
    inputTokens: z.number().int(),
    outputTokens: z.literal(0),
    costUsd: z.number(),
  }),
  cached: z.boolean().describe("Every vector came from the cache: no model was called"),
  latencyMs: z.number().int(),
});
