import { defineRoute, type Route } from "../http/route.ts";
import type { ModelRegistry } from "../llm/model-registry.ts";
import { modelsResponseSchema } from "../models/schemas.ts";

/** The models offered, as GET /api/v1/models answers them (the admin console's catalog too). */
export function modelList(registry: ModelRegistry) {
  return {
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
  };
}

export function modelRoutes(registry: ModelRegistry): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/models",
      access: "llm",
      tag: "Completions",
      summary: "The models this deployment offers, with context windows and prices in USD",
      response: modelsResponseSchema,
      handle: () => modelList(registry),
    }),
  ];
}
