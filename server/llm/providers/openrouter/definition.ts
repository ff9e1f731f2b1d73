import { defineHostedPreset } from "../shared/hosted-preset.ts";

/**
 * OpenRouter, with OPENROUTER_API_KEY: other vendors' models under their vendor's prefix, at their
 * vendor's token prices (OpenRouter adds no margin per token), USD per million tokens from
 * openrouter.ai/models, as read on 2026-12-05. Names the catalog already has without a prefix
 * (gpt-4.1, claude-…) go to those providers directly; these are the prefixed ones.
 */
export const openRouter = defineHostedPreset({
  name: "openrouter",
  prefix: "OPENROUTER",
  baseUrl: "https://openrouter.ai/api/v1",
  models: [
    {
      id: "anthropic/claude-sonnet-4.5",
      contextWindow: 1_000_000,
      maxOutputTokens: 64_000,
      inputPerMillion: 3,
      outputPerMillion: 15,
      structuredOutput: true,
      vision: true,
      rules: {},
    },
    {
      id: "google/gemini-2.5-flash",
      contextWindow: 1_048_576,
      maxOutputTokens: 65_535,
      inputPerMillion: 0.3,
      outputPerMillion: 2.5,
      structuredOutput: true,
      vision: true,
      rules: {},
    },
    {
      id: "openai/gpt-4o-mini",
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      inputPerMillion: 0.15,
      outputPerMillion: 0.6,
      structuredOutput: true,
      vision: true,
      rules: {},
    },
    {
      id: "meta-llama/llama-3.3-70b-instruct",
      contextWindow: 131_072,
      maxOutputTokens: 16_384,
      inputPerMillion: 0.1,
      outputPerMillion: 0.32,
      structuredOutput: false,
      vision: false,
      rules: {},
    },
  ],
});
