import { LlmError } from "./errors.ts";
import type { Logger } from "../logger.ts";
import { nanoUsdPerToken } from "../util/money.ts";
import { CATALOG_VERSION, catalog, type ParameterRules } from "./catalog.ts";
import type { Provider } from "./provider.ts";

export interface ModelInfo {
  id: string;
  provider: string;
  contextWindow: number;
  maxOutputTokens: number;
  inputPerMillion: number;
  outputPerMillion: number;
  structuredOutput: boolean;
  rules: ParameterRules;
}

/** Context assumed for a local model the catalog does not know. */
const LOCAL_CONTEXT_WINDOW = 8192;

const demoModel: ModelInfo = {
  id: "demo",
  provider: "demo",
  contextWindow: 32_768,
  maxOutputTokens: 4096,
  inputPerMillion: 0,
  outputPerMillion: 0,
  structuredOutput: true,
  rules: {},
};

const localModel = (id: string): ModelInfo => ({
  id,
  provider: "openai-compatible",
  contextWindow: LOCAL_CONTEXT_WINDOW,
  maxOutputTokens: 4096,
  inputPerMillion: 0,
  outputPerMillion: 0,
  structuredOutput: true,
  rules: {},
});

/** Which models this deployment offers, what they cost, and which provider serves each. */
export class ModelRegistry {
  readonly catalogVersion = CATALOG_VERSION;
  readonly defaultModel: string;
  readonly #models: Map<string, ModelInfo>;
  readonly #acceptsUnlistedLocalModels: boolean;

  private constructor(
    models: ModelInfo[],
    defaultModel: string | undefined,
    acceptsLocal: boolean,
  ) {
    this.#models = new Map(models.map((model) => [model.id, model]));
    this.#acceptsUnlistedLocalModels = acceptsLocal;
    const fallback = models[0]?.id ?? "demo";
    this.defaultModel = defaultModel ?? fallback;
  }

  /**
   * Offers the catalog models of each configured provider, the local server's models (from
   * settings, else asked of the server), and the `demo` model when no provider is configured.
   */
  static async create(options: {
    providers: Map<string, Provider>;
    localModels?: string[] | undefined;
    defaultModel?: string | undefined;
    logger?: Logger;
  }): Promise<ModelRegistry> {
    const { providers } = options;
    const models: ModelInfo[] = catalog
      .filter((model) => providers.has(model.provider))
      .map((m) => ({ ...m }));
    const local = providers.get("openai-compatible");
    if (local) {
      let ids = options.localModels;
      if (!ids) {
        try {
          ids = (await local.listModels?.()) ?? [];
        } catch (error) {
          options.logger?.warn(
            { err: { message: error instanceof Error ? error.message : String(error) } },
            "could not list the local server's models; set OPENAI_COMPATIBLE_MODELS",
          );
          ids = [];
        }
      }
      models.push(...ids.map(localModel));
    }
    const onlyDemo = !providers.has("openai") && !providers.has("anthropic") && !local;
    if (onlyDemo) models.push(demoModel);
    const registry = new ModelRegistry(models, options.defaultModel, Boolean(local));
    if (options.defaultModel) registry.resolve(options.defaultModel);
    return registry;
  }

  /** True when only the offline demo model answers. */
  get demoOnly(): boolean {
    return this.#models.size === 1 && this.#models.has("demo");
  }

  list(): ModelInfo[] {
    return [...this.#models.values()];
  }

  resolve(id: string): ModelInfo {
    const model = this.#models.get(id);
    if (model) return model;
    // A local server may load models after start-up; let it judge names we have not seen.
    if (this.#acceptsUnlistedLocalModels && !catalog.some((known) => known.id === id))
      return localModel(id);
    throw new LlmError(
      "invalid_request",
      `Unknown model '${id}'. Available: ${this.list()
        .map((m) => m.id)
        .join(", ")}`,
    );
  }

  /** What a call's tokens cost at the model's price, in whole nano-dollars. */
  costNanoUsd(model: ModelInfo, inputTokens: number, outputTokens: number): number {
    return (
      inputTokens * nanoUsdPerToken(model.inputPerMillion) +
      outputTokens * nanoUsdPerToken(model.outputPerMillion)
    );
  }
}
