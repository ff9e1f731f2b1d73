import { z } from "zod";
import { modelsResponseSchema } from "../models/schemas.ts";

/**
 * The admin console's extra reads (ledger pages, model health, system status): the route table's
 * schemas, so the OpenAPI document's too. No Node here: the console takes their types through
 * server/wire.ts.
 */

const isoTime = z.iso.datetime({ offset: true });

/** A time range on ISO times: `since` included, `until` not. */
export const timeRangeQuery = {
  since: isoTime.optional().describe("Rows at or after this time"),
  until: isoTime.optional().describe("Rows before this time"),
};

export const ledgerRowSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  tokenId: z.string(),
  tokenName: z.string().nullable(),
  provider: z.string(),
  keyLabel: z
    .string()
    .nullable()
    .describe("The operator's label of the provider key that answered; null when none did"),
  model: z.string(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  cached: z.boolean(),
  latencyMs: z.number().int(),
  status: z.string(),
  errorCode: z.string().nullable(),
  createdAt: z.string(),
});

export const ledgerPageSchema = z.object({
  rows: z.array(ledgerRowSchema),
  nextCursor: z.string().nullable().describe("Pass as `cursor` for the next (older) page"),
});

export const modelHealthSchema = modelsResponseSchema.extend({
  since: z.string(),
  until: z.string(),
  health: z.array(
    z.object({
      model: z.string(),
      provider: z.string(),
      calls: z.number().int(),
      failedCalls: z.number().int(),
      cachedCalls: z.number().int(),
      errorRate: z.number().describe("Failed calls / calls, 0 to 1"),
      averageLatencyMs: z.number().nullable().describe("Of calls not answered from the cache"),
      maxLatencyMs: z.number().nullable(),
    }),
  ),
});

export const systemStatusSchema = z.object({
  version: z.string(),
  uptimeSeconds: z.number().int(),
  store: z.object({ dialect: z.enum(["sqlite", "postgres"]), status: z.string() }),
  redis: z.object({ configured: z.boolean(), status: z.string().nullable() }),
  cache: z
    .object({
      kind: z.enum(["memory", "redis"]),
      entries: z.number().int(),
      bytes: z.number().int(),
      maxEntries: z.number().int(),
      maxBytes: z.number().int(),
    })
    .nullable()
    .describe("Null when it cannot be read (Redis unreachable)"),
  queues: z.object({
    budgetReservations: z
      .number()
      .int()
      .describe("Money held for model calls in flight, on every instance: one per call"),
  }),
  providers: z.array(z.object({ name: z.string(), models: z.number().int() })),
  demoOnly: z.boolean().describe("Only the offline demo answers: no provider is configured"),
  defaultModel: z.string(),
  lastBackup: z
    .string()
    .nullable()
    .describe(
      "The newest verified backup in BACKUP_DIR, scheduled or taken on demand; null when none or backups are off",
    ),
  backupsEnabled: z
    .boolean()
    .describe("Scheduled backups are on (BACKUP_DIR), so POST /api/v1/admin/backups can take one"),
});

export const backupTakenSchema = z.object({
  at: z.string().describe("When the backup was taken; also the new lastBackup"),
  tokens: z.number().int().describe("Rows in the backup, counted when it was checked"),
  usage: z.number().int(),
  auditLog: z.number().int(),
});
