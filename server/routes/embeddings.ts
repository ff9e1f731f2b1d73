/**
 * Embeddings: `POST /v1/embeddings` in OpenAI's wire format (any OpenAI client's
 * `embeddings.create`), and `POST /api/v1/embeddings` in the native one. Both run through the
 * EmbeddingService: the same token scope, rate limit, budget, cache and ledger as completions.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { defineRoute, type Route } from "../http/route.ts";
import type { EmbeddingService } from "../llm/embeddings/embedding-service.ts";
import {
  dimensionsSchema,
  embeddingInputSchema,
  embeddingRequestSchema,
  embeddingResponseSchema,
} from "../llm/embeddings/schemas.ts";
import { toBase64 } from "../llm/embeddings/vectors.ts";
import { setLlmHeaders } from "./llm-headers.ts";

/** OpenAI's embeddings request; its other fields (`user`) are accepted and ignored. */
const openAiEmbeddingRequestSchema = z
  .looseObject({
    model: z.string().min(1).describe("An embedding model id from GET /v1/models"),
    input: embeddingInputSchema,
    encoding_format: z.enum(["float", "base64"]).nullish(),
    dimensions: dimensionsSchema.nullish(),
  })
  .describe("OpenAI's embeddings request; token arrays as input are refused (send the text)");

const openAiEmbeddingListSchema = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      object: z.literal("embedding"),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

type Encoding = "float" | "base64";

function encoded(vector: Float32Array, encoding: Encoding): number[] | string {
  return encoding === "base64" ? toBase64(vector) : Array.from(vector);
}

const texts = (input: string | string[]) => (typeof input === "string" ? [input] : input);

export function embeddingRoutes(deps: { embeddings: EmbeddingService }): Route[] {
  const { embeddings } = deps;
  const describe =
    "Limits, budgets, the usage ledger and the cache apply as on completions: each text's " +
    "vector is kept by model, dimensions and text, and only the texts not found go to the model. " +
    "A chat model, or a model of a provider without embeddings (Anthropic), is refused with 400 " +
    "`not_an_embedding_model`.";
  return [
    defineRoute({
      method: "post",
      path: "/v1/embeddings",
      access: "llm",
      tag: "OpenAI-compatible",
      summary: "OpenAI's embeddings API, for OpenAI clients, SDKs and tools",
      description: describe,
      body: openAiEmbeddingRequestSchema,
      response: openAiEmbeddingListSchema,
      handle: async ({ body, ...context }, _req, res) => {
        const outcome = await embeddings.embed(
          {
            model: body.model,
            inputs: texts(body.input),
            dimensions: body.dimensions ?? undefined,
          },
          context,
        );
        setLlmHeaders(res, outcome);
        const encoding = body.encoding_format ?? "float";
        return {
          object: "list",
          data: outcome.vectors.map((vector, index) => ({
            object: "embedding",
            index,
            embedding: encoded(vector, encoding),
          })),
          model: outcome.model,
          usage: {
            prompt_tokens: outcome.usage.inputTokens,
            total_tokens: outcome.usage.inputTokens,
          },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/embeddings",
      access: "llm",
      tag: "Completions",
      summary: "Embed texts: one vector per text",
      description: describe,
      body: embeddingRequestSchema,
      response: embeddingResponseSchema,
      handle: async ({ body, ...context }, _req, res) => {
        const outcome = await embeddings.embed(
          { model: body.model, inputs: texts(body.input), dimensions: body.dimensions },
          context,
        );
        setLlmHeaders(res, outcome);
        const encoding = body.encodingFormat ?? "float";
        return {
          id: `emb_${randomUUID()}`,
          model: outcome.model,
          provider: outcome.provider,
          embeddings: outcome.vectors.map((vector) => encoded(vector, encoding)),
          dimensions: outcome.vectors[0]?.length ?? 0,
          usage: {
            inputTokens: outcome.usage.inputTokens,
            outputTokens: 0,
            costUsd: outcome.usage.costUsd,
          },
          cached: outcome.cached,
          latencyMs: outcome.latencyMs,
        };
      },
    }),
  ];
}
