import type { Config } from "../../config.ts";
import type { Provider } from "../provider.ts";
import { createAnthropicProvider } from "./anthropic.ts";
import { createDemoProvider } from "./demo.ts";
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
  if (config.openai) {
    providers.set(
      "openai",
      createOpenAiProvider({
        name: "openai",
        apiKey: config.openai.apiKey,
        baseUrl: config.openai.baseUrl,
        maxTokensField: "max_completion_tokens",
      }),
    );
  }
  if (config.anthropic) {
    providers.set(
      "anthropic",
      createAnthropicProvider({
        apiKey: config.anthropic.apiKey,
        baseUrl: config.anthropic.baseUrl,
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
      }),
    );
  }
  providers.set("demo", createDemoProvider());
  return providers;
}
