import type { Config } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import type { Provider } from "../provider.ts";
import { createDemoProvider, type DemoLimits } from "./demo/adapter.ts";
import { createKeepAliveFetch } from "./shared/keep-alive-fetch.ts";

/**
 * The providers the configuration enables, by name: "openai", "anthropic" and "openai-compatible"
 * when configured, and "demo" always (the model registry decides when demo models are offered).
 * Each SDK is loaded only when a provider needs it: a server without Anthropic never holds
 * Anthropic's SDK in memory, and a fresh install on the demo provider holds neither. With a
 * `logger`, the SDKs' own log lines join the server's JSON log instead of the console.
 */
export async function createProviders(
  config: Config["providers"],
  demoLimits: DemoLimits,
  logger?: Logger,
): Promise<Map<string, Provider>> {
  const providers = new Map<string, Provider>();
  // One keep-alive HTTP client for every provider: cheaper per call than the SDKs' default.
  const fetch = createKeepAliveFetch();
  const logging = logger ? { logger } : {};
  const { openai, anthropic, openaiCompatible } = config;
  if (openai || openaiCompatible) {
    const { createOpenAiProvider } = await import("./openai/adapter.ts");
    if (openai) {
      providers.set(
        "openai",
        createOpenAiProvider({
          name: "openai",
          apiKey: openai.apiKey,
          baseUrl: openai.baseUrl,
          maxTokensField: "max_completion_tokens",
          fetch,
          ...logging,
        }),
      );
    }
    if (openaiCompatible) {
      providers.set(
        "openai-compatible",
        createOpenAiProvider({
          name: "openai-compatible",
          apiKey: openaiCompatible.apiKey,
          baseUrl: openaiCompatible.baseUrl,
          maxTokensField: "max_tokens",
          fetch,
          ...logging,
        }),
      );
    }
  }
  if (anthropic) {
    const { createAnthropicProvider } = await import("./anthropic/adapter.ts");
    providers.set(
      "anthropic",
      createAnthropicProvider({
        apiKey: anthropic.apiKey,
        baseUrl: anthropic.baseUrl,
        fetch,
        ...logging,
      }),
    );
  }
  providers.set("demo", createDemoProvider(demoLimits));
  return providers;
}
