import { defineHostedPreset } from "../shared/hosted-preset.ts";

/**
 * DeepSeek's API, with DEEPSEEK_API_KEY. Prices in USD per million tokens (input at the cache-miss
 * rate) from api-docs.deepseek.com/quick_start/pricing, as read on 2026-12-05. DeepSeek takes
 * `json_object` output only: a schema is given in the instructions and the answer checked.
 */
export const deepSeek = defineHostedPreset({
  name: "deepseek",
  prefix: "DEEPSEEK",
  baseUrl: "https://api.deepseek.com/v1",
  models: [
    {
      id: "deepseek-chat",
      contextWindow: 131_072,
      maxOutputTokens: 8_192,
      inputPerMillion: 0.28,
      outputPerMillion: 0.42,
      structuredOutput: false,
      vision: false,
      rules: {},
    },
    {
      id: "deepseek-reasoner",
      contextWindow: 131_072,
      maxOutputTokens: 65_536,
      inputPerMillion: 0.28,
      outputPerMillion: 0.42,
      structuredOutput: false,
      vision: false,
      rules: {},
    },
  ],
});
