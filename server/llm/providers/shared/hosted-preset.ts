import { httpUrl, optionalString } from "../../../config-values.ts";
import { defineProvider, type CatalogEntry } from "../definition.ts";
import { pooledProvider } from "./key-pool.ts";
import { DEFAULT_LABEL } from "./key-settings.ts";

/** What sets one hosted OpenAI-compatible provider apart from another. */
export interface HostedPreset<Name extends string, Prefix extends string> {
  /** The name models, logs, metrics and the ledger know it by. */
  name: Name;
  /** Its variables' prefix: `MISTRAL` gives MISTRAL_API_KEY and MISTRAL_BASE_URL. */
  prefix: Prefix;
  /** Its API's base URL, which `<PREFIX>_BASE_URL` replaces (a proxy, the tests' fake). */
  baseUrl: string;
  /** Its models, with their prices; `structuredOutput: false` for one without `json_schema`. */
  models: readonly CatalogEntry[];
}

type PresetVariables<Prefix extends string> = Record<`${Prefix}_API_KEY`, typeof optionalString> &
  Record<`${Prefix}_BASE_URL`, ReturnType<typeof httpUrl.optional>>;

/**
 * A hosted provider that speaks OpenAI's chat completions API (Mistral, DeepSeek, Groq,
 * OpenRouter…): configured by its key, served by the OpenAI adapter at its base URL, billed at its
 * catalog's prices.
 */
export function defineHostedPreset<const Name extends string, const Prefix extends string>(
  preset: HostedPreset<Name, Prefix>,
) {
  const keyVariable = `${preset.prefix}_API_KEY` as const;
  const urlVariable = `${preset.prefix}_BASE_URL` as const;
  // TypeScript widens computed keys to `string`; the object has exactly these two.
  const variables = {
    [keyVariable]: optionalString,
    [urlVariable]: httpUrl.optional(),
  } as PresetVariables<Prefix>;
  const withoutSchema = new Set(
    preset.models.filter((model) => !model.structuredOutput).map((model) => model.id),
  );
  return defineProvider({
    name: preset.name,
    variables,
    settings(env) {
      const values = env as Record<string, string | undefined>;
      const apiKey = values[keyVariable];
      return apiKey ? { apiKey, baseUrl: values[urlVariable] ?? preset.baseUrl } : undefined;
    },
    models: preset.models,
    async create(settings, shared) {
      const { createOpenAiProvider } = await import("../openai/adapter.ts");
      // One key, pooled as OpenAI's keys are: its calls carry the key label in the ledger and
      // the metrics.
      const key = { label: DEFAULT_LABEL, ...settings };
      return pooledProvider(preset.name, [key], shared, () =>
        createOpenAiProvider({
          name: preset.name,
          ...settings,
          // The field every one of them knows; max_completion_tokens is OpenAI's own.
          maxTokensField: "max_tokens",
          nativeSchema: (model) => !withoutSchema.has(model),
          fetch: shared.fetch,
          logger: shared.logger,
        }),
      );
    },
  });
}
