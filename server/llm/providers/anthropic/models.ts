import type { CatalogEntry } from "../definition.ts";

/** Anthropic's models in the catalog: their limits, and prices in USD per million tokens. */
export const anthropicModels: readonly CatalogEntry[] = [
  {
    id: "claude-opus-4-1",
    contextWindow: 200_000,
    maxOutputTokens: 32_000,
    inputPerMillion: 15,
    outputPerMillion: 75,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "claude-sonnet-4-5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    inputPerMillion: 3,
    outputPerMillion: 15,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "claude-haiku-4-5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    inputPerMillion: 1,
    outputPerMillion: 5,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "claude-3-5-haiku-latest",
    contextWindow: 200_000,
    maxOutputTokens: 8_192,
    inputPerMillion: 0.8,
    outputPerMillion: 4,
    structuredOutput: false,
    // Claude 3.5 Haiku reads text only.
    vision: false,
    rules: {},
  },
];
