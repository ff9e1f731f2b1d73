import { httpUrl, optionalString } from "../../../config-values.ts";
import { defineProvider } from "../definition.ts";
import { anthropicModels } from "./models.ts";

/** Anthropic's Messages API, with ANTHROPIC_API_KEY. */
export const anthropic = defineProvider({
  name: "anthropic",
  variables: { ANTHROPIC_API_KEY: optionalString, ANTHROPIC_BASE_URL: httpUrl.optional() },
  settings: (env) =>
    env.ANTHROPIC_API_KEY
      ? { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL }
      : undefined,
  models: anthropicModels,
  async create(settings, shared) {
    const { createAnthropicProvider } = await import("./adapter.ts");
    return createAnthropicProvider({ ...settings, fetch: shared.fetch, logger: shared.logger });
  },
});
