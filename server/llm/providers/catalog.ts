import type { CatalogEntry } from "./definition.ts";
import { providerDefinitions } from "./provider-list.ts";

/**
 * The catalog's version: each provider's models, prices (USD per million tokens), context
 * windows and parameter rules are written once, in its folder's definition. Prices change: bump
 * this when any does. GET /api/v1/models reports it, so callers can see what they pay.
 */
export const CATALOG_VERSION = "2026-12-05";

/** A model of the catalog, with the name of the provider that serves it. */
export interface CatalogModel extends CatalogEntry {
  provider: string;
}

/** Every provider's catalog models, in the provider list's order. */
export const catalog: readonly CatalogModel[] = providerDefinitions.flatMap((definition) =>
  definition.models.map((model) => ({ ...model, provider: definition.name })),
);
