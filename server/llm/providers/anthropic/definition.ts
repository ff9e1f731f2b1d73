import { defineProvider } from "../definition.ts";
import { pooledProvider } from "../shared/key-pool.ts";
import { hostedKeyPool } from "../shared/key-settings.ts";
import { anthropicModels } from "./models.ts";

const names = {
  single: "ANTHROPIC_API_KEY",
  list: "ANTHROPIC_API_KEYS",
  shared: "ANTHROPIC_BASE_URL",
  byLabel: "ANTHROPIC_BASE_URLS",
} as const;

/** Anthropic's Messages API, with ANTHROPIC_API_KEY, or several keys by label. */
export const anthropic = defineProvider({
  name: "anthropic",
  ...hostedKeyPool(names),
  models: anthropicModels,
  async create(settings, shared) {
    const { createAnthropicProvider } = await import("./adapter.ts");
    return pooledProvider("anthropic", settings.keys, shared, (key) =>
      createAnthropicProvider({
        // Every member has a key: the members are made from the keys.
        apiKey: key.apiKey!,
        baseUrl: key.baseUrl,
        fetch: shared.fetch,
        logger: shared.logger,
      }),
    );
  },
});
