import type { Config } from "../../config.ts";
import type { Provider } from "../provider.ts";
import { createDemoProvider, type DemoLimits } from "./demo.ts";
import { createKeepAliveFetch } from "./keep-alive-fetch.ts";

/**
 * The providers the configuration enables, by name: "openai", "anthropic" and "openai-compatible"
 * when configured, and "demo" always (the model registry decides when demo models are offered).
 * Each SDK is loaded only when a provider needs it: a server without Anthropic never holds
 * Anthropic's SDK in memory, and a fresh install on the demo provider holds neither.
 */
export async function createProviders(
  config: Config["providers"],
  demoLimits: DemoLimits,
): Promise<Map<string, Provider>> {
  const providers = new Map<string, Provider>();
  // One keep-alive HTTP client for every provider: cheaper per call than the SDKs' default.
  const fetch = createKeepAliveFetch();
  const { openai, anthropic, openaiCompatible } = config;
  if (openai || openaiCompatible) {
    const { createOpenAiProvider } = await import("./openai.ts");
    if (openai) {
      providers.set(
        "openai",
        createOpenAiProvider({
          name: "openai",
          apiKey: openai.apiKey,
          baseUrl: openai.baseUrl,
          maxTokensField: "max_completion_tokens",
          fetch,
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
        }),
      );
    }
  }
  if (anthropic) {
    const { createAnthropicProvider } = await import("./anthropic.ts");
    providers.set(
      "anthropic",
      createAnthropicProvider({ apiKey: anthropic.apiKey, baseUrl: anthropic.baseUrl, fetch }),
    );
  }
  providers.set("demo", createDemoProvider(demoLimits));
  return providers;
}
