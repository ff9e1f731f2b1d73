import type { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { Provider } from "../provider.ts";
import type { KeySetAside } from "./shared/key-pool.ts";

/** Parameters a model refuses, which the gateway leaves out or fixes before calling it. */
export interface ParameterRules {
  /** The model accepts only this temperature (reasoning models take 1 only). */
  fixedTemperature?: number;
  /** The model rejects stop sequences. */
  noStop?: boolean;
}

/**
 * What a model answers: chat (completions), or embeddings; "unknown" for a local server's model,
 * which may be either (the server refuses what its model cannot do).
 */
export type ModelKind = "chat" | "embedding" | "unknown";

/** What the catalog knows of a model: its limits, prices and parameter rules. */
export interface CatalogEntry {
  id: string;
  /** Chat when not given. */
  kind?: ModelKind;
  /**
   * An embedding model's vectors: their length, and whether a request may ask for shorter ones
   * (`dimensions`).
   */
  vectors?: { dimensions: number; shortens: boolean };
  contextWindow: number;
  maxOutputTokens: number;
  /**
   * USD per million tokens, with at most three decimals: a whole number of nano-dollars per
   * token, so that every cost the ledger keeps is exact (server/util/money.ts).
   */
  inputPerMillion: number;
  outputPerMillion: number;
  /** Whether the provider enforces a JSON schema natively (else: instruct and validate). */
  structuredOutput: boolean;
  /** Whether the model reads images (`image_url` / `input_image` parts); else they are refused. */
  vision: boolean;
  rules: ParameterRules;
}

/**
 * Models a provider serves beyond the catalog (a local server's): what is assumed of each model
 * its adapter lists (`listModels`), and the warning logged when it cannot list them. Such a
 * provider is also sent names it did not list, unless another provider's catalog has them.
 */
export interface UnlistedModels {
  traits: Omit<CatalogEntry, "id">;
  listFailure: string;
}

/** What a provider's adapter is built with besides its own settings. */
export interface SharedParts {
  /** One keep-alive HTTP client for every provider: cheaper per call than the SDKs' default. */
  fetch: typeof fetch;
  /** Where the SDKs' own log lines go; the console when undefined. */
  logger: Logger | undefined;
  /** Bounds on generated output (the demo's JSON), from config.limits. */
  limits: { generatedOutputBytes: number; schemaDepth: number };
  /** How long a provider's key that failed is set aside (shared/key-pool.ts). */
  keyPool: KeySetAside;
}

/** The validated values of a provider's variables. */
export type VariableValues<Variables extends z.ZodRawShape> = keyof Variables extends never
  ? object
  : z.output<z.ZodObject<Variables>>;

/** What a provider's folder declares: everything OfficeLLM knows of the provider. */
export interface ProviderSpec<Name extends string, Variables extends z.ZodRawShape, Settings> {
  /** The name models, logs, metrics and the usage ledger know it by. */
  readonly name: Name;
  /**
   * Its environment variables, each with its validation and default; `loadConfig` validates them
   * with every other setting at start-up, each message naming its variable.
   */
  readonly variables: Variables;
  /** Its settings from its variables' values; undefined when it is not configured. */
  settings(env: VariableValues<Variables>): Settings | undefined;
  /** Variables that need one another: a message naming them for each one missing. */
  problems?(env: VariableValues<Variables>): string[];
  /** Its models the catalog knows, at their prices, in the order GET /api/v1/models lists them. */
  readonly models: readonly CatalogEntry[];
  /** For a server whose models the catalog cannot know (a local one). */
  readonly unlistedModels?: UnlistedModels;
  /** Offered only while no other provider is configured (the offline demo). */
  readonly standby?: boolean;
  /**
   * Its adapter. The adapter's module, with its SDK, is imported here and only here, so that a
   * provider that is not configured never loads its SDK.
   */
  create(settings: Settings, shared: SharedParts): Promise<Provider>;
}

/** A provider's spec, with the two steps the provider list runs for every provider. */
export interface ProviderDefinition<
  Name extends string,
  Variables extends z.ZodRawShape,
  Settings,
> extends ProviderSpec<Name, Variables, Settings> {
  /** Adds its settings, when it is configured, to every provider's settings. */
  readSettings(env: VariableValues<Variables>, into: { [K in Name]?: Settings }): void;
  /** Its adapter when `all` holds its settings; undefined when it is not configured. */
  start(
    all: { readonly [K in Name]?: Settings },
    shared: SharedParts,
  ): Promise<Provider> | undefined;
}

/**
 * A provider's definition, for the list in provider-list.ts. The list holds providers of
 * different settings; these two steps let it read and start each one with its own types.
 */
export function defineProvider<
  const Name extends string,
  Variables extends z.ZodRawShape,
  Settings,
>(spec: ProviderSpec<Name, Variables, Settings>): ProviderDefinition<Name, Variables, Settings> {
  return {
    ...spec,
    readSettings(env, into) {
      const settings = spec.settings(env);
      if (settings !== undefined) into[spec.name] = settings;
    },
    start(all, shared) {
      const settings = all[spec.name];
      return settings === undefined ? undefined : spec.create(settings, shared);
    },
  };
}
