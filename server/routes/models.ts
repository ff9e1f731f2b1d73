import { z } from "zod";
import { defineRoute, type Route } from "../http/route.ts";
import type { ModelRegistry } from "../llm/model-registry.ts";

const modelSchema = z.object({
  id: z.string(),
  provider: z.string(),
  contextWindow: z.number().int(),
  maxOutputTokens: z.number().int(),
  pricePerMillionTokens: z.object({ input: z.number(), output: z.number() }),
  structuredOutput: z.boolean(),
  default: z.boolean(),
});

export function modelRoutes(registry: ModelRegistry): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/models",
      access: "llm",
      tag: "Completions",
      summary: "The models this deployment offers, with context windows and prices in USD",
      response: z.object({
        catalogVersion: z.string(),
        defaultModel: z.string(),
        models: z.array(modelSchema),
      }),
      handle: () => ({
        catalogVersion: registry.catalogVersion,
        defaultModel: registry.defaultModel,
        models: registry.list().map((model) => ({
          id: model.id,
          provider: model.provider,
          contextWindow: model.contextWindow,
          maxOutputTokens: model.maxOutputTokens,
          pricePerMillionTokens: { input: model.inputPerMillion, output: model.outputPerMillion },
          structuredOutput: model.structuredOutput,
          default: model.id === registry.defaultModel,
        })),
      }),
    }),
  ];
}
