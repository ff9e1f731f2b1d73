import { httpUrl, optionalString } from "../../../config-values.ts";
import { defineProvider } from "../definition.ts";
import { pooledProvider } from "../shared/key-pool.ts";
import {
  labelledKeys,
  labelledUrls,
  poolMembers,
  poolProblems,
  readPool,
} from "../shared/key-settings.ts";
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
  variables: {
    OPENAI_API_KEY: optionalString,
    OPENAI_API_KEYS: labelledKeys.optional(),
    OPENAI_BASE_URL: httpUrl.optional(),
    OPENAI_BASE_URLS: labelledUrls.optional(),
  },
  settings(env) {
    const keys = poolMembers(readPool(names, env), "apiKey");
    return keys.length > 0 ? { keys } : undefined;
  },
  problems: (env) => poolProblems(readPool(names, env)),
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
