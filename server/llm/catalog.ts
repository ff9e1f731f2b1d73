import { anthropicModels } from "./providers/anthropic/models.ts";
import type { CatalogEntry } from "./providers/definition.ts";
import { openAiModels } from "./providers/openai/models.ts";

/**
 * The model catalog: each known model's provider, prices (USD per million tokens), context
 * window and parameter rules, written in its provider's folder. Prices change: this catalog
 * carries a version, and is reported by GET /api/v1/models so callers can see what they pay.
 */
export const CATALOG_VERSION = "2026-11-01";

export interface CatalogModel extends CatalogEntry {
  provider: "openai" | "anthropic";
}

export const catalog: readonly CatalogModel[] = [
  ...openAiModels.map((model) => ({ ...model, provider: "openai" as const })),
  ...anthropicModels.map((model) => ({ ...model, provider: "anthropic" as const })),
];
