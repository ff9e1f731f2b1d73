import { defineHostedPreset } from "../shared/hosted-preset.ts";

/**
 * Mistral's API (La Plateforme), with MISTRAL_API_KEY. Prices in USD per million tokens from
 * mistral.ai/pricing, as read on 2026-12-05.
 */
export const mistral = defineHostedPreset({
  name: "mistral",
  prefix: "MISTRAL",
  baseUrl: "https://api.mistral.ai/v1",
  models: [
    {
      id: "mistral-medium-latest",
      contextWindow: 131_072,
      maxOutputTokens: 32_768,
      inputPerMillion: 0.4,
      outputPerMillion: 2,
      structuredOutput: true,
      vision: true,
      rules: {},
    },
    {
      id: "mistral-small-latest",
      contextWindow: 131_072,
      maxOutputTokens: 32_768,
      inputPerMillion: 0.1,
      outputPerMillion: 0.3,
      structuredOutput: true,
      vision: true,
      rules: {},
    },
    {
      id: "codestral-latest",
      contextWindow: 262_144,
      maxOutputTokens: 32_768,
      inputPerMillion: 0.3,
      outputPerMillion: 0.9,
      structuredOutput: true,
      vision: false,
      rules: {},
    },
  ],
});
