import { defineProvider } from "../definition.ts";
import { pooledProvider } from "../shared/key-pool.ts";
import { hostedKeyPool } from "../shared/key-settings.ts";
import { openAiModels } from "./models.ts";

const names = {
  single: "OPENAI_API_KEY",
  list: "OPENAI_API_KEYS",
  shared: "OPENAI_BASE_URL",
  byLabel: "OPENAI_BASE_URLS",
} as const;

/** OpenAI's API, with OPENAI_API_KEY, or several keys by label (OPENAI_API_KEYS). */
export const openAi = defineProvider({
  name: "openai",
  ...hostedKeyPool(names),
  models: openAiModels,
  async create(settings, shared) {
    const { createOpenAiProvider } = await import("./adapter.ts");
    return pooledProvider("openai", settings.keys, shared, (key) =>
      createOpenAiProvider({
        name: "openai",
        apiKey: key.apiKey,
        baseUrl: key.baseUrl,
        maxTokensField: "max_completion_tokens",
        fetch: shared.fetch,
        logger: shared.logger,
      }),
    );
  },
});
