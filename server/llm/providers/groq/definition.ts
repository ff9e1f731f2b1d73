import { defineHostedPreset } from "../shared/hosted-preset.ts";

/**
 * Groq's API, with GROQ_API_KEY. Prices in USD per million tokens from groq.com/pricing, as read
 * on 2026-12-05. The Llama 3 models take `json_object` output only: a schema is given in the
 * instructions and the answer checked.
 */
export const groq = defineHostedPreset({
  name: "groq",
  prefix: "GROQ",
  baseUrl: "https://api.groq.com/openai/v1",
  models: [
    {
      id: "openai/gpt-oss-120b",
      contextWindow: 131_072,
      maxOutputTokens: 65_536,
      inputPerMillion: 0.15,
      outputPerMillion: 0.6,
      structuredOutput: true,
      vision: false,
      rules: {},
    },
    {
      id: "meta-llama/llama-4-scout-17b-16e-instruct",
      contextWindow: 131_072,
      maxOutputTokens: 8_192,
      inputPerMillion: 0.11,
      outputPerMillion: 0.34,
      structuredOutput: true,
      vision: true,
      rules: {},
    },
    {
      id: "llama-3.3-70b-versatile",
      contextWindow: 131_072,
      maxOutputTokens: 32_768,
      inputPerMillion: 0.59,
      outputPerMillion: 0.79,
      structuredOutput: false,
      vision: false,
      rules: {},
    },
    {
      id: "llama-3.1-8b-instant",
      contextWindow: 131_072,
      maxOutputTokens: 131_072,
      inputPerMillion: 0.05,
      outputPerMillion: 0.08,
      structuredOutput: false,
      vision: false,
      rules: {},
    },
  ],
});
