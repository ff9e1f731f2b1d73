import { systemClock, type Clock } from "../../clock.ts";
import type { Config } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import type { Provider } from "../provider.ts";
import { providerDefinitions, type ProviderSettings } from "./provider-list.ts";
import { createKeepAliveFetch } from "./shared/keep-alive-fetch.ts";

/**
 * The adapter of each provider the settings configure, by name; the demo's always (the model
 * registry decides when its model is offered). Each adapter's module, with its SDK, is loaded only
 * when its provider is configured: a server without Anthropic never holds Anthropic's SDK in
 * memory, and a fresh install on the demo provider holds neither. With a `logger`, the SDKs' own
 * log lines join the server's JSON log instead of the console. Their one HTTP client keeps up to
 * `maxSockets` connections to each provider. `clock` tells when a key set aside is back.
 */
export async function createProviders(
  settings: ProviderSettings,
  config: Pick<Config, "limits" | "llm">,
  logger?: Logger,
  clock: Clock = systemClock,
): Promise<Map<string, Provider>> {
  const { limits, llm } = config;
  const shared = {
    fetch: createKeepAliveFetch({ maxSockets: llm.maxSockets }),
    logger,
    limits,
    keyPool: { clock, rateLimitedMs: llm.keyCooldownMs, refusedMs: llm.keyRefusedCooldownMs },
  };
  const started = await Promise.all(
    providerDefinitions.map(async (definition) => {
      return [definition.name, await definition.start(settings, shared)] as const;
    }),
  );
  const providers = new Map<string, Provider>();
  for (const [name, provider] of started) if (provider) providers.set(name, provider);
  return providers;
}
