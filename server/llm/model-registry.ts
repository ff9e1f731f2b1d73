import { LlmError } from "./errors.ts";
import type { Logger } from "../logger.ts";
import { nanoUsdPerToken } from "../util/money.ts";
import type { Provider } from "./provider.ts";
import { CATALOG_VERSION, type CatalogModel } from "./providers/catalog.ts";
import type { UnlistedModels } from "./providers/definition.ts";
import { providerDefinitions } from "./providers/provider-list.ts";

/** A model this deployment offers: its catalog entry and the provider that serves it. */
export type ModelInfo = CatalogModel;

/**
 * Names the catalog gives a provider other than the standby: a server taking unlisted names is
 * not sent these, which belong to a provider that is not configured.
 */
const knownIds = new Set(
  providerDefinitions
    .filter((definition) => !definition.standby)
    .flatMap((definition) => definition.models.map((model) => model.id)),
);

/** Which models this deployment offers, what they cost, and which provider serves each. */
export class ModelRegistry {
  readonly catalogVersion = CATALOG_VERSION;
  readonly defaultModel: string;
  readonly #models: Map<string, ModelInfo>;
  /** Offers a model the server names but did not list (a local server loads models later). */
  readonly #unlisted: ((id: string) => ModelInfo) | undefined;
  readonly #standbyOnly: boolean;

  private constructor(
    models: ModelInfo[],
    defaultModel: string | undefined,
    unlisted: ((id: string) => ModelInfo) | undefined,
    standbyOnly: boolean,
  ) {
    this.#models = new Map(models.map((model) => [model.id, model]));
    this.#unlisted = unlisted;
    this.#standbyOnly = standbyOnly;
    this.defaultModel = defaultModel ?? models[0]?.id ?? standbyModel();
  }

  /**
   * Offers, provider by provider in the list's order, the catalog models of each configured one
   * and the models a server lists beyond the catalog (a local server's); the standby's (the demo)
   * only when no other provider is configured.
   */
  static async create(options: {
    providers: Map<string, Provider>;
    defaultModel?: string | undefined;
    logger?: Logger;
  }): Promise<ModelRegistry> {
    const { providers, logger } = options;
    const standbyOnly = providerDefinitions.every(
      (definition) => definition.standby || !providers.has(definition.name),
    );
    const models: ModelInfo[] = [];
    let unlisted: ((id: string) => ModelInfo) | undefined;
    for (const { name, models: entries, unlistedModels, standby } of providerDefinitions) {
      const provider = providers.get(name);
      if (!provider || (standby && !standbyOnly)) continue;
      models.push(...entries.map((entry) => ({ ...entry, provider: name })));
      if (unlistedModels) {
        const model = (id: string): ModelInfo => ({ id, provider: name, ...unlistedModels.traits });
        models.push(...(await listed(provider, unlistedModels, logger)).map(model));
        unlisted ??= model;
      }
    }
    const registry = new ModelRegistry(models, options.defaultModel, unlisted, standbyOnly);
    if (options.defaultModel) registry.resolve(options.defaultModel);
    return registry;
  }

  /** True when only the offline demo answers: no other provider is configured. */
  get demoOnly(): boolean {
    return this.#standbyOnly;
  }

  list(): ModelInfo[] {
    return [...this.#models.values()];
  }

  resolve(id: string): ModelInfo {
    const model = this.#models.get(id);
    if (model) return model;
    // A local server may load models after start-up; let it judge names we have not seen.
    if (this.#unlisted && !knownIds.has(id)) return this.#unlisted(id);
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

/** The models a provider lists beyond the catalog; none, with a warning, when it cannot. */
async function listed(
  provider: Provider,
  unlisted: UnlistedModels,
  logger: Logger | undefined,
): Promise<string[]> {
  try {
    return (await provider.listModels?.()) ?? [];
  } catch (error) {
    logger?.warn(
      { err: { message: error instanceof Error ? error.message : String(error) } },
      unlisted.listFailure,
    );
    return [];
  }
}

/** The standby's model (the demo's): the default when the configured providers offer none. */
function standbyModel(): string {
  const id = providerDefinitions.find((definition) => definition.standby)?.models[0]?.id;
  if (id === undefined) throw new Error("The provider list needs a standby provider with a model.");
  return id;
}
