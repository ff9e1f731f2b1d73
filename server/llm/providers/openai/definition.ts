import { httpUrl, optionalString } from "../../../config-values.ts";
import { defineProvider } from "../definition.ts";
import { openAiModels } from "./models.ts";

/** OpenAI's API, with OPENAI_API_KEY. */
export const openAi = defineProvider({
  name: "openai",
  variables: { OPENAI_API_KEY: optionalString, OPENAI_BASE_URL: httpUrl.optional() },
  settings: (env) =>
    env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL } : undefined,
  models: openAiModels,
  async create(settings, shared) {
    const { createOpenAiProvider } = await import("./adapter.ts");
    return createOpenAiProvider({
      name: "openai",
      ...settings,
      maxTokensField: "max_completion_tokens",
      fetch: shared.fetch,
      logger: shared.logger,
    });
  },
});
