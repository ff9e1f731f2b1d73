import { httpUrl, optionalString } from "../../../config-values.ts";
import { defineProvider } from "../definition.ts";
import { pooledProvider } from "../shared/key-pool.ts";
import { DEFAULT_LABEL } from "../shared/key-settings.ts";
import { geminiModels } from "./models.ts";

/** Google's Gemini API (Google AI Studio keys), with GEMINI_API_KEY. */
export const gemini = defineProvider({
  name: "gemini",
  variables: { GEMINI_API_KEY: optionalString, GEMINI_BASE_URL: httpUrl.optional() },
  settings: (env) =>
    env.GEMINI_API_KEY ? { apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_BASE_URL } : undefined,
  models: geminiModels,
  async create(settings, shared) {
    const { createGeminiProvider } = await import("./adapter.ts");
    // The shared keep-alive fetch, as for the other SDKs. Google's SDK takes no logger (it writes
    // nothing in the calls made here), so `shared.logger` has nowhere to go.
    // One key, pooled as the others' keys are: its calls carry the key label in the ledger and
    // the metrics.
    const key = { label: DEFAULT_LABEL, ...settings };
    return pooledProvider("gemini", [key], shared, () =>
      createGeminiProvider({ ...settings, fetch: shared.fetch }),
    );
  },
});
