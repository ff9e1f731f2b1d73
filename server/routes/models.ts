import { defineRoute, type Route } from "../http/route.ts";
import type { ModelInfo, ModelRegistry } from "../llm/model-registry.ts";
import { modelsResponseSchema } from "../models/schemas.ts";

/**
 * The models offered, as GET /api/v1/models answers them (the admin console's catalog too): each
 * configured provider's catalog models, the models a local server lists, then the aliases.
 */
export function modelList(registry: ModelRegistry) {
  const described = (id: string, model: ModelInfo) => ({
    id,
    provider: model.provider,
    kind: model.kind ?? "chat",
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    pricePerMillionTokens: { input: model.inputPerMillion, output: model.outputPerMillion },
    structuredOutput: model.structuredOutput,
    vision: model.vision,
    default: id === registry.defaultModel,
  });
  return {
    catalogVersion: registry.catalogVersion,
    defaultModel: registry.defaultModel,
    models: [
      ...registry.list().map((model) => described(model.id, model)),
      ...registry
        .aliases()
        .map(({ alias, model }) => ({ ...described(alias, model), aliasOf: model.id })),
    ],
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
      description:
        "Exactly the names a request may use: each configured provider's catalog models, the " +
        "models a local server lists, then the operator's aliases (with `aliasOf`).",
      response: modelsResponseSchema,
      handle: () => modelList(registry),
    }),
  ];
}
