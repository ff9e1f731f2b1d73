import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config.ts";
import { createProviders } from "./create-providers.ts";

describe("createProviders", () => {
  it("offers only demo when no provider is configured", async () => {
    const config = loadConfig({});
    const providers = await createProviders(config.providers.settings, config);
    expect([...providers.keys()]).toEqual(["demo"]);
    expect(providers.get("demo")?.name).toBe("demo");
  });

  it("adds each configured provider, demo always", async () => {
    const config = loadConfig({
      OPENAI_API_KEY: "sk-test-abcdefghijklmnopqrstuvwxyz",
      ANTHROPIC_API_KEY: "sk-ant-test-abcdefghijklmnopqrstuvwxyz",
      OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1",
    });
    const providers = await createProviders(config.providers.settings, config);
    expect([...providers.keys()].sort()).toEqual([
      "anthropic",
      "demo",
      "openai",
      "openai-compatible",
    ]);
    for (const [name, provider] of providers) expect(provider.name).toBe(name);
  });

  it("adds Gemini and each hosted preset whose key is set", async () => {
    const config = loadConfig({
      GEMINI_API_KEY: "gemini-test-abcdefghijklmnopqrstuvwxyz",
      MISTRAL_API_KEY: "mistral-test",
      DEEPSEEK_API_KEY: "sk-deepseek-test",
      GROQ_API_KEY: "gsk_test",
      OPENROUTER_API_KEY: "sk-or-v1-test",
    });
    const providers = await createProviders(config.providers.settings, config);
    expect([...providers.keys()].sort()).toEqual([
      "deepseek",
      "demo",
      "gemini",
      "groq",
      "mistral",
      "openrouter",
    ]);
    for (const [name, provider] of providers) expect(provider.name).toBe(name);
  });

  it("creates the compatible provider without a key", async () => {
    const config = loadConfig({ OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1" });
    expect([...(await createProviders(config.providers.settings, config)).keys()].sort()).toEqual([
      "demo",
      "openai-compatible",
    ]);
  });
});
