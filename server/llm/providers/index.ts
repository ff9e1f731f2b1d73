import type { Config } from "../../config.ts";
import type { Provider } from "../provider.ts";
import { createAnthropicProvider } from "./anthropic.ts";
import { createDemoProvider } from "./demo.ts";
import { createKeepAliveFetch } from "./keep-alive-fetch.ts";
import { createOpenAiProvider } from "./openai.ts";

export { createAnthropicProvider } from "./anthropic.ts";
export { createDemoProvider } from "./demo.ts";
export { createOpenAiProvider } from "./openai.ts";

/**
 * The providers the configuration enables, by name: "openai", "anthropic" and "openai-compatible"
 * when configured, and "demo" always (the model registry decides when demo models are offered).
 */
export function createProviders(config: Config["providers"]): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  // One keep-alive HTTP client for every provider: cheaper per call than the SDKs' default.
  const fetch = createKeepAliveFetch();
  if (config.openai) {
    providers.set(
      "openai",
      createOpenAiProvider({
        name: "openai",
        apiKey: config.openai.apiKey,
        baseUrl: config.openai.baseUrl,
        maxTokensField: "max_completion_tokens",
        fetch,
      }),
    );
  }
  if (config.anthropic) {
    providers.set(
      "anthropic",
      createAnthropicProvider({
        apiKey: config.anthropic.apiKey,
        baseUrl: config.anthropic.baseUrl,
        fetch,
      }),
    );
  }
  if (config.openaiCompatible) {
    providers.set(
      "openai-compatible",
      createOpenAiProvider({
        name: "openai-compatible",
        apiKey: config.openaiCompatible.apiKey,
        baseUrl: config.openaiCompatible.baseUrl,
        maxTokensField: "max_tokens",
        fetch,
      }),
    );
  }
  providers.set("demo", createDemoProvider());
  return providers;
}
