import { z } from "zod";
import { modelPrices } from "../../../config-values.ts";
import { defineProvider } from "../definition.ts";
import { pooledProvider } from "../shared/key-pool.ts";
import { poolMembers, poolProblems, poolVariables, readPool } from "../shared/key-settings.ts";

/** A comma-separated list of model names. */
const modelNames = z.string().transform((value) =>
  value
    .split(",")
    .map((model) => model.trim())
    .filter(Boolean),
);

const names = {
  single: "OPENAI_COMPATIBLE_BASE_URL",
  list: "OPENAI_COMPATIBLE_BASE_URLS",
  shared: "OPENAI_COMPATIBLE_API_KEY",
  byLabel: "OPENAI_COMPATIBLE_API_KEYS",
} as const;

/**
 * A local server speaking OpenAI's API (Ollama, vLLM, LM Studio, llama.cpp…), at its URL; or
 * several, by label (OPENAI_COMPATIBLE_BASE_URLS), serving the same models.
 */
export const openAiCompatible = defineProvider({
  name: "openai-compatible",
  variables: {
    ...poolVariables(names, "baseUrl"),
    OPENAI_COMPATIBLE_MODELS: modelNames.optional(),
    // A local server runs a few calls at once and queues the rest in arrival order: capped here,
    // the calls wait in the gateway's fair queue instead (docs/operations.md, "Queues").
    OPENAI_COMPATIBLE_CONCURRENCY: z.coerce
      .number({ error: "must be a positive whole number (calls in flight)" })
      .int("must be a positive whole number (calls in flight)")
      .positive("must be a positive whole number (calls in flight)")
      .default(16),
    /** What each local model costs, `model=input/output` in USD per million tokens; else free. */
    OPENAI_COMPATIBLE_PRICES: modelPrices.optional(),
    /** Which local models read images: names, or `*` for every one; none by default. */
    OPENAI_COMPATIBLE_VISION_MODELS: modelNames.optional(),
    /** How often the server's model list is read again (a model pulled later becomes usable). */
    MODEL_LIST_REFRESH_SECONDS: z.coerce
      .number({ error: "must be a whole number of seconds (0: never)" })
      .int("must be a whole number of seconds (0: never)")
      .min(0, "must be a whole number of seconds (0: never)")
      .default(300),
  },
  settings(env) {
    const servers = poolMembers(readPool(names, env), "baseUrl");
    return servers.length > 0
      ? {
          servers,
          models: env.OPENAI_COMPATIBLE_MODELS,
          concurrency: env.OPENAI_COMPATIBLE_CONCURRENCY,
          prices: env.OPENAI_COMPATIBLE_PRICES ?? {},
          visionModels: env.OPENAI_COMPATIBLE_VISION_MODELS ?? [],
          refreshMs: env.MODEL_LIST_REFRESH_SECONDS * 1000,
        }
      : undefined;
  },
  problems: (env) => [
    ...(env.OPENAI_COMPATIBLE_API_KEY &&
    !env.OPENAI_COMPATIBLE_BASE_URL &&
    !env.OPENAI_COMPATIBLE_BASE_URLS
      ? ["OPENAI_COMPATIBLE_BASE_URL must be set when OPENAI_COMPATIBLE_API_KEY is set"]
      : []),
    ...poolProblems(readPool(names, env)),
  ],
  models: [],
  unlistedModels: {
    // A local model's limits are unknown: a small context, free unless priced in settings, and
    // text only unless OPENAI_COMPATIBLE_VISION_MODELS names it.
    traits: {
      kind: "unknown",
      contextWindow: 8192,
      maxOutputTokens: 4096,
      inputPerMillion: 0,
      outputPerMillion: 0,
      structuredOutput: true,
      vision: false,
      rules: {},
    },
    listFailure: "could not list the local server's models; set OPENAI_COMPATIBLE_MODELS",
  },
  async create(settings, shared) {
    const { createOpenAiProvider } = await import("../openai/adapter.ts");
    return pooledProvider("openai-compatible", settings.servers, shared, (server) =>
      createOpenAiProvider({
        name: "openai-compatible",
        baseUrl: server.baseUrl,
        apiKey: server.apiKey,
        models: settings.models,
        maxTokensField: "max_tokens",
        concurrency: settings.concurrency,
        fetch: shared.fetch,
        logger: shared.logger,
      }),
    );
  },
});
