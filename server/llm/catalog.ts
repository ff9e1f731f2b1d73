/**
 * The model catalog: each known model's provider, prices (USD per million tokens), context
 * window and parameter rules. Prices change: this table carries a version, is the only place
 * they are written, and is reported by GET /api/v1/models so callers can see what they pay.
 */
export const CATALOG_VERSION = "2026-11-01";

export interface ParameterRules {
  /** The model accepts only this temperature (reasoning models take 1 only). */
  fixedTemperature?: number;
  /** The model rejects stop sequences. */
  noStop?: boolean;
}

export interface CatalogModel {
  id: string;
  provider: "openai" | "anthropic";
  contextWindow: number;
  maxOutputTokens: number;
  inputPerMillion: number;
  outputPerMillion: number;
  /** Whether the provider enforces a JSON schema natively (else: instruct and validate). */
  structuredOutput: boolean;
  rules: ParameterRules;
}

const reasoning: ParameterRules = { fixedTemperature: 1, noStop: true };

export const catalog: readonly CatalogModel[] = [
  {
    id: "gpt-5",
    provider: "openai",
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    inputPerMillion: 1.25,
    outputPerMillion: 10,
    structuredOutput: true,
    rules: reasoning,
  },
  {
    id: "gpt-5-mini",
    provider: "openai",
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    inputPerMillion: 0.25,
    outputPerMillion: 2,
    structuredOutput: true,
    rules: reasoning,
  },
  {
    id: "gpt-5-nano",
    provider: "openai",
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    inputPerMillion: 0.05,
    outputPerMillion: 0.4,
    structuredOutput: true,
    rules: reasoning,
  },
  {
    id: "gpt-4.1",
    provider: "openai",
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    inputPerMillion: 2,
    outputPerMillion: 8,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "gpt-4.1-mini",
    provider: "openai",
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    inputPerMillion: 0.4,
    outputPerMillion: 1.6,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "gpt-4.1-nano",
    provider: "openai",
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    inputPerMillion: 0.1,
    outputPerMillion: 0.4,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "gpt-4o",
    provider: "openai",
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    inputPerMillion: 2.5,
    outputPerMillion: 10,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "gpt-4o-mini",
    provider: "openai",
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    inputPerMillion: 0.15,
    outputPerMillion: 0.6,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "o4-mini",
    provider: "openai",
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    inputPerMillion: 1.1,
    outputPerMillion: 4.4,
    structuredOutput: true,
    rules: reasoning,
  },
  {
    id: "o3",
    provider: "openai",
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    inputPerMillion: 2,
    outputPerMillion: 8,
    structuredOutput: true,
    rules: reasoning,
  },
  {
    id: "claude-opus-4-1",
    provider: "anthropic",
    contextWindow: 200_000,
    maxOutputTokens: 32_000,
    inputPerMillion: 15,
    outputPerMillion: 75,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "claude-sonnet-4-5",
    provider: "anthropic",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    inputPerMillion: 3,
    outputPerMillion: 15,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "claude-haiku-4-5",
    provider: "anthropic",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    inputPerMillion: 1,
    outputPerMillion: 5,
    structuredOutput: true,
    rules: {},
  },
  {
    id: "claude-3-5-haiku-latest",
    provider: "anthropic",
    contextWindow: 200_000,
    maxOutputTokens: 8_192,
    inputPerMillion: 0.8,
    outputPerMillion: 4,
    structuredOutput: false,
    rules: {},
  },
];
