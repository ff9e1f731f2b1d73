import { distance } from "fastest-levenshtein";
import type { ModelPrice } from "../config-values.ts";
import { LlmError } from "./errors.ts";
import type { Logger } from "../logger.ts";
import { nanoUsdPerToken } from "../util/money.ts";
import type { Provider } from "./provider.ts";
import { CATALOG_VERSION, type CatalogModel } from "./providers/catalog.ts";
import type { UnlistedModels } from "./providers/definition.ts";
import { providerDefinitions } from "./providers/provider-list.ts";

/** A model this deployment offers: its catalog entry and the provider that serves it. */
export type ModelInfo = CatalogModel;

/** An operator's name for a model (MODEL_ALIASES), with the model it names. */
export interface ModelAlias {
  alias: string;
  model: ModelInfo;
}

/** What the registry needs to know of a local server's models beyond what it lists. */
export interface LocalModelOptions {
  /** Prices by model (OPENAI_COMPATIBLE_PRICES); a model not named is free. */
  prices?: Readonly<Record<string, ModelPrice>>;
  /** Models that read images (OPENAI_COMPATIBLE_VISION_MODELS); `*` names every one. */
  visionModels?: readonly string[];
  /** How often its list is read again; 0: never. */
  refreshMs?: number;
  /** Most models kept from its list (LOCAL_MODELS_MAX). */
  maxModels: number;
}

/** A server whose models the catalog cannot know (a local one): it is asked for them. */
interface LocalServer {
  provider: Provider;
  unlisted: UnlistedModels;
  options: LocalModelOptions;
  /** Its models as last listed. */
  models: ModelInfo[];
  /** Whether a listing has succeeded: until one has, its models are not known. */
  listed: boolean;
}

/** Suggestions offered for a name that is no model: at most this many, this close. */
const maxSuggestions = 3;
const suggestionDistance = (name: string) => Math.max(2, Math.floor(name.length / 3));
/** Names a refusal without a close one lists. */
const maxNamesShown = 20;

/**
 * Which models this deployment offers, what they cost, and which provider serves each. A model
 * is served only when a configured provider's catalog has it, a local server lists it, or an
 * operator's alias names one of those: any other name is `unknown_model` (never sent on, where a
 * local server might answer it with a model the ledger would bill at nothing).
 */
export class ModelRegistry {
  readonly catalogVersion = CATALOG_VERSION;
  readonly #defaultName: string | undefined;
  readonly #catalog: ModelInfo[];
  readonly #local: LocalServer | undefined;
  readonly #aliases: ReadonlyMap<string, string>;
  readonly #standbyOnly: boolean;
  readonly #logger: Logger | undefined;
  #models = new Map<string, ModelInfo>();
  #refresh: NodeJS.Timeout | undefined;

  private constructor(parts: {
    catalog: ModelInfo[];
    local: LocalServer | undefined;
    aliases: Record<string, string>;
    defaultModel: string | undefined;
    standbyOnly: boolean;
    logger: Logger | undefined;
  }) {
    this.#catalog = parts.catalog;
    this.#local = parts.local;
    this.#aliases = new Map(Object.entries(parts.aliases));
    this.#standbyOnly = parts.standbyOnly;
    this.#logger = parts.logger;
    this.#defaultName = parts.defaultModel;
    this.#index();
  }

  /** DEFAULT_MODEL (the model its alias names), else the first model offered. */
  get defaultModel(): string {
    const named = this.#defaultName;
    if (named !== undefined)
      return this.#models.get(this.#aliases.get(named) ?? named)?.id ?? named;
    return this.list()[0]?.id ?? standbyModel();
  }

  /**
   * Offers, provider by provider in the list's order, the catalog models of each configured one
   * and the models a local server lists; the standby's (the demo) only when no other provider is
   * configured. The default model and each alias must name an offered model, unless it may be
   * a local server's that could not be listed yet (then a warning).
   */
  static async create(options: {
    providers: Map<string, Provider>;
    defaultModel?: string | undefined;
    aliases?: Record<string, string>;
    local?: LocalModelOptions;
    logger?: Logger | undefined;
  }): Promise<ModelRegistry> {
    const { providers, logger } = options;
    const standbyOnly = providerDefinitions.every(
      (definition) => definition.standby || !providers.has(definition.name),
    );
    const catalog: ModelInfo[] = [];
    let local: LocalServer | undefined;
    for (const { name, models: entries, unlistedModels, standby } of providerDefinitions) {
      const provider = providers.get(name);
      if (!provider || (standby && !standbyOnly)) continue;
      catalog.push(...entries.map((entry) => ({ ...entry, provider: name })));
      if (unlistedModels && !local) {
        const localOptions = options.local ?? { maxModels: Number.POSITIVE_INFINITY };
        local = {
          provider,
          unlisted: unlistedModels,
          options: localOptions,
          models: [],
          listed: false,
        };
      }
    }
    const registry = new ModelRegistry({
      catalog,
      local,
      aliases: options.aliases ?? {},
      defaultModel: options.defaultModel,
      standbyOnly,
      logger,
    });
    await registry.refresh();
    registry.#check("DEFAULT_MODEL", options.defaultModel);
    for (const [alias, model] of registry.#aliases)
      registry.#check(`MODEL_ALIASES (${alias})`, model);
    return registry;
  }

  /** True when only the offline demo answers: no other provider is configured. */
  get demoOnly(): boolean {
    return this.#standbyOnly;
  }

  /** Every model offered, aliases aside. */
  list(): ModelInfo[] {
    return [...this.#models.values()];
  }

  /** The operator's aliases whose model is offered now. */
  aliases(): ModelAlias[] {
    return [...this.#aliases].flatMap(([alias, id]) => {
      const model = this.#models.get(id);
      return model ? [{ alias, model }] : [];
    });
  }

  /** The model a name or alias stands for; `unknown_model`, with the closest names, else. */
  resolve(id: string): ModelInfo {
    const model = this.#models.get(this.#aliases.get(id) ?? id);
    if (model) return model;
    const suggestions = this.#closestNames(id);
    const hint =
      suggestions.length > 0
        ? `Did you mean ${suggestions.map((name) => `'${name}'`).join(", ")}?`
        : `Available: ${this.#someNames()}.`;
    throw new LlmError("unknown_model", `Unknown model '${id}'. ${hint}`);
  }

  /**
   * Reads the local server's models again; on failure its last list stays, with a warning. At
   * most `maxModels` are kept, in the server's order.
   */
  async refresh(): Promise<void> {
    const local = this.#local;
    if (!local) return;
    let ids: string[];
    try {
      ids = (await local.provider.listModels?.()) ?? [];
    } catch (error) {
      this.#logger?.warn(
        { err: { message: error instanceof Error ? error.message : String(error) } },
        local.unlisted.listFailure,
      );
      return;
    }
    const { maxModels, prices = {}, visionModels = [] } = local.options;
    const everyVision = visionModels.includes("*");
    if (ids.length > maxModels)
      this.#logger?.warn(
        { listed: ids.length, kept: maxModels },
        "the local server lists more models than LOCAL_MODELS_MAX; the rest are not offered",
      );
    local.models = ids.slice(0, maxModels).map((id) => {
      const price = prices[id];
      return {
        id,
        provider: local.provider.name,
        ...local.unlisted.traits,
        ...(price ? { inputPerMillion: price.input, outputPerMillion: price.output } : {}),
        ...(everyVision || visionModels.includes(id) ? { vision: true } : {}),
      };
    });
    local.listed = true;
    this.#index();
  }

  /** Reads the local server's list again every `refreshMs`, until `stop`. */
  startRefreshing(): void {
    const every = this.#local?.options.refreshMs ?? 0;
    if (every <= 0 || this.#refresh) return;
    this.#refresh = setInterval(() => void this.refresh(), every);
    // A refresh never keeps the process alive.
    this.#refresh.unref();
  }

  stop(): void {
    clearInterval(this.#refresh);
    this.#refresh = undefined;
  }

  /** What a call's tokens cost at the model's price, in whole nano-dollars. */
  costNanoUsd(model: ModelInfo, inputTokens: number, outputTokens: number): number {
    return (
      inputTokens * nanoUsdPerToken(model.inputPerMillion) +
      outputTokens * nanoUsdPerToken(model.outputPerMillion)
    );
  }

  /** Catalog models first: a local server's model of the same name does not replace one. */
  #index(): void {
    const models = new Map<string, ModelInfo>();
    for (const model of [...this.#catalog, ...(this.#local?.models ?? [])])
      if (!models.has(model.id)) models.set(model.id, model);
    this.#models = models;
  }

  /** Refuses at start a setting naming no offered model, unless the local server may have it. */
  #check(setting: string, id: string | undefined): void {
    if (id === undefined) return;
    try {
      this.resolve(id);
    } catch (error) {
      if (this.#local && !this.#local.listed) {
        this.#logger?.warn(
          { model: id },
          `${setting} names a model the local server has not listed yet`,
        );
        return;
      }
      throw error;
    }
  }

  /** Every name a caller may use: the models offered, then the aliases. */
  #names(): string[] {
    return [...this.#models.keys(), ...this.aliases().map(({ alias }) => alias)];
  }

  /** The first names offered, for a message: a local server may list hundreds. */
  #someNames(): string {
    const names = this.#names();
    const shown = names.slice(0, maxNamesShown).join(", ");
    return names.length > maxNamesShown
      ? `${shown}… (GET /v1/models lists them all)`
      : shown || "none";
  }

  /** The offered names (aliases too) nearest to `id`, nearest first. */
  #closestNames(id: string): string[] {
    const names = this.#names();
    const wanted = id.toLowerCase();
    return names
      .map((name) => ({ name, far: distance(wanted, name.toLowerCase()) }))
      .filter(({ far }) => far <= suggestionDistance(id))
      .sort((a, b) => a.far - b.far)
      .slice(0, maxSuggestions)
      .map(({ name }) => name);
  }
}

/** The standby's model (the demo's): the default when the configured providers offer none. */
function standbyModel(): string {
  const id = providerDefinitions.find((definition) => definition.standby)?.models[0]?.id;
  if (id === undefined) throw new Error("The provider list needs a standby provider with a model.");
  return id;
}
