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
  ],
  standby: true,
  async create(_settings, shared) {
    const { createDemoProvider } = await import("./adapter.ts");
    return createDemoProvider(shared.limits);
  },
});
