import { z } from "zod";
import { scopeSchema } from "../auth/scopes.ts";

/**
 * The calling token's own account: what GET /api/v1/me answers, and its settings (the defaults a
 * request falls back to). The route table's schemas, so the OpenAPI document's too; no Node
 * here: the add-in takes their types through server/wire.ts.
 */

export const meSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  expiresAt: z.string().nullable(),
  limits: z.object({
    requestsPerMinute: z.number().int(),
    monthlyBudgetUsd: z.number().nullable(),
  }),
  spend: z.object({ month: z.string(), costUsd: z.number(), remainingUsd: z.number().nullable() }),
});

export const settingsSchema = z.object({
  model: z.string().nullable().describe("Used when a request names no model"),
  systemPrompt: z.string().nullable().describe("Used when a request sends no system prompt"),
  temperature: z.number().nullable().describe("Used when a request sends no temperature"),
  updatedAt: z.string().nullable().describe("Null until the settings are first saved"),
});

export type Settings = z.output<typeof settingsSchema>;

/** A change to the settings: a field left out stays, null clears it. */
export const settingsChangeSchema = z.strictObject({
  model: z.string().trim().min(1).max(200).nullable().optional(),
  systemPrompt: z.string().max(50_000).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
});
