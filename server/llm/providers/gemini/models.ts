import type { CatalogEntry } from "../definition.ts";

/**
 * Google's Gemini models in the catalog: their limits, and the paid tier's list prices in USD per
 * million tokens (ai.google.dev/gemini-api/docs/pricing, as read on 2026-12-05). The Pro models
 * cost more for prompts over 200k tokens; the catalog keeps one price per model, the tier most
 * prompts fall in (up to 200k). Thinking tokens are billed as output, and the adapter counts them
 * so. gemini-2.0-flash is left out: Google shut it down on 2026-06-01.
 */
export const geminiModels: readonly CatalogEntry[] = [
  {
    id: "gemini-2.5-pro",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    inputPerMillion: 1.25,
    outputPerMillion: 10,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "gemini-2.5-flash",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    inputPerMillion: 0.3,
    outputPerMillion: 2.5,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "gemini-2.5-flash-lite",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    inputPerMillion: 0.1,
    outputPerMillion: 0.4,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "gemini-3-pro-preview",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    inputPerMillion: 2,
    outputPerMillion: 12,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
  {
    id: "gemini-3-flash-preview",
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    inputPerMillion: 0.5,
    outputPerMillion: 3,
    structuredOutput: true,
    vision: true,
    rules: {},
  },
];
