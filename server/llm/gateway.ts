import type { Redis } from "ioredis";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Answer } from "./pipeline/answer.ts";
import { ModelRegistry } from "./model-registry.ts";
import type { Provider } from "./provider.ts";
import { createProviders } from "./providers/create-providers.ts";
import { createMemoryCache, createRedisCache, type ResponseCache } from "./cache/response-cache.ts";
import { SchemaChecker } from "./schemas/schema-checker.ts";
import type { SingleFlight } from "./cache/single-flight.ts";

/** The LLM parts the app is built from. */
export interface Gateway {
  providers: Map<string, Provider>;
  registry: ModelRegistry;
  cache: ResponseCache;
  /**
   * Embedding vectors, in a cache of their own with the same bounds: a caller's thousands of
   * vectors (16 KB each for the largest model) can push out only vectors, never the answers.
   */
  embeddingCache: ResponseCache;
  /**
   * The Responses API's output items, in a cache of their own with the same bounds, read back
   * when a client refers to one (`item_reference`).
   */
  responseItems: ResponseCache;
  /** Callers' JSON Schemas: their limits and compiled validators. */
  schemas: SchemaChecker;
  /** The calls identical requests share (the service makes its own when not given). */
  flights?: SingleFlight<Answer>;
}

/**
 * Providers from the settings, their models, the response cache (Redis when given) and the
 * schema checker.
 */
export async function createGateway(
  config: Pick<Config, "providers" | "llm" | "limits">,
  options: { logger?: Logger; redis?: Redis | undefined; clock?: Clock } = {},
): Promise<Gateway> {
  const providers = await createProviders(
    config.providers.settings,
    config,
    options.logger,
    options.clock,
  );
  const local = config.providers.settings["openai-compatible"];
  const registry = await ModelRegistry.create({
    providers,
    defaultModel: config.providers.defaultModel,
    aliases: config.providers.aliases,
    local: {
      maxModels: config.limits.localModels,
      ...(local
        ? { prices: local.prices, refreshMs: local.refreshMs, visionModels: local.visionModels }
        : {}),
    },
    logger: options.logger,
  });
  registry.startRefreshing();
  const bounds = {
    ttlMs: config.llm.cacheTtlMs,
    maxEntries: config.limits.cacheEntries,
    maxBytes: config.limits.cacheBytes,
  };
  const cacheOf = (prefix: string) =>
    options.redis
      ? createRedisCache(options.redis, { ...bounds, prefix })
      : createMemoryCache(bounds);
  return {
    providers,
    registry,
    cache: cacheOf("officellm:cache:"),
    embeddingCache: cacheOf("officellm:embeddings:"),
    responseItems: cacheOf("officellm:response-items:"),
    schemas: new SchemaChecker(config.limits),
  };
}
