import { defineProvider } from "../definition.ts";

/** The offline demo: answers a fresh install until a provider is configured. */
export const demo = defineProvider({
  name: "demo",
  variables: {},
  settings: () => ({}),
  models: [
    {
      id: "demo",
      contextWindow: 32_768,
      maxOutputTokens: 4096,
      inputPerMillion: 0,
      outputPerMillion: 0,
      structuredOutput: true,
      vision: false,
      rules: {},
    },
    {
      id: "demo-embedding",
      kind: "embedding",
      vectors: { dimensions: 256, shortens: true },
      contextWindow: 8192,
      maxOutputTokens: 0,
      inputPerMillion: 0,
      outputPerMillion: 0,
      structuredOutput: false,
      vision: false,
      rules: {},
    },
  ],
  standby: true,
  async create(_settings, shared) {
    const { createDemoProvider } = await import("./adapter.ts");
    return createDemoProvider(shared.limits);
  },
});
