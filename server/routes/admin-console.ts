import { z } from "zod";
import {
  backupTakenSchema,
  ledgerPageSchema,
  modelHealthSchema,
  systemStatusSchema,
  timeRangeQuery,
} from "../admin/schemas.ts";
import type { Clock } from "../clock.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { Gateway } from "../llm/gateway.ts";
import { ApiError } from "../errors.ts";
import type { Backups } from "../store/backup-schedule.ts";
import type { Store } from "../store/store.ts";
import { nanoUsdToUsd } from "../util/money.ts";
import { runReadinessChecks, type ReadinessChecks } from "./health.ts";
import { modelList } from "./models.ts";

/** Opaque to callers: where the next page starts (the last row's time and id). */
export const cursorSchema = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const [createdAt, id, ...rest] = Buffer.from(value, "base64url").toString("utf8").split("\n");
    if (!createdAt || !id || rest.length > 0 || Number.isNaN(Date.parse(createdAt))) {
      ctx.addIssue({ code: "custom", message: "is not a cursor this API gave" });
      return z.NEVER;
    }
    return { createdAt, id };
  });

export function encodeCursor(row: { createdAt: string; id: string }): string {
  return Buffer.from(`${row.createdAt}\n${row.id}`, "utf8").toString("base64url");
}

/** `limit` for a page: 1 to ADMIN_PAGE_MAX_ROWS, 100 by default. */
export function pageLimit(maxRows: number) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(maxRows)
    .default(Math.min(100, maxRows))
    .describe(`Rows in one page, at most ${maxRows} (ADMIN_PAGE_MAX_ROWS)`);
}

const text = z.string().trim().min(1).max(200);

const ledgerQuery = (maxRows: number) =>
  z.strictObject({
    ...timeRangeQuery,
    tokenId: text.optional(),
    model: text.optional(),
    status: z.enum(["ok", "error"]).optional(),
    cached: z.enum(["true", "false"]).optional(),
    requestId: text.optional().describe("The X-Request-Id a caller saw"),
    limit: pageLimit(maxRows),
    cursor: cursorSchema.optional(),
  });

const healthQuery = z.strictObject({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(31 * 24)
    .default(24)
    .describe("How far back, in hours"),
});

/**
 * What the admin console reads beyond tokens, usage and the audit log: the ledger row by row,
 * each model's failures and latency, and the state of this instance and what it depends on.
 */
export function adminConsoleRoutes(deps: {
  store: Store;
  gateway: Gateway;
  clock: Clock;
  version: string;
  startedAt: number;
  readinessChecks: ReadinessChecks;
  maxPageRows: number;
  /** The scheduled backups (BACKUP_DIR), when they are on. */
  backups: Backups | undefined;
}): Route[] {
  const { store, gateway, clock } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/admin/requests",
      access: "admin",
      tag: "Admin",
      summary: "The ledger, one row per model call, newest first, filtered and paged",
      description:
        "Every filter narrows. Pages follow `nextCursor` (null on the last page). Cost is in USD, " +
        "summed from whole nano-dollars.",
      query: ledgerQuery(deps.maxPageRows),
      response: ledgerPageSchema,
      handle: async ({ query }) => {
        const { limit, cursor, cached, ...filter } = query;
        const rows = await store.usage.list(
          { ...filter, cached: cached === undefined ? undefined : cached === "true" },
          limit + 1,
          cursor,
        );
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          rows: page.map((row) => ({
            id: row.id,
            requestId: row.request_id,
            tokenId: row.token_id,
            tokenName: row.token_name,
            provider: row.provider,
            keyLabel: row.key_label,
            model: row.model,
            inputTokens: row.input_tokens,
            outputTokens: row.output_tokens,
            costUsd: nanoUsdToUsd(Number(row.cost_nano_usd)),
            cached: Boolean(row.cached),
            latencyMs: row.latency_ms,
            status: row.status,
            errorCode: row.error_code,
            createdAt: row.created_at,
          })),
          nextCursor:
            rows.length > limit && last
              ? encodeCursor({ createdAt: last.created_at, id: last.id })
              : null,
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/models",
      access: "admin",
      tag: "Admin",
      summary: "The models offered, and each one's calls, error rate and latency of late",
      description:
        "The catalog as GET /api/v1/models gives it, and from the ledger, per model called over " +
        "the last `hours`, its calls, failures and the latency of calls that reached the provider.",
      query: healthQuery,
      response: modelHealthSchema,
      handle: async ({ query }) => {
        const until = clock.now().toISOString();
        const since = new Date(clock.now().getTime() - query.hours * 3_600_000).toISOString();
        const health = await store.usage.modelHealth({ since, until });
        return {
          ...modelList(gateway.registry),
          since,
          until,
          health: health.map((model) => ({
            ...model,
            errorRate: model.calls === 0 ? 0 : model.failedCalls / model.calls,
          })),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/system",
      access: "admin",
      tag: "Admin",
      summary: "Version, store, Redis, response cache, calls in flight and providers",
      description: "Names what is configured, never a key or a connection string.",
      response: systemStatusSchema,
      handle: async () => {
        const redis = deps.readinessChecks.redis;
        const [checks, cache, held] = await Promise.all([
          runReadinessChecks({ store: () => store.ping(), ...(redis ? { redis } : {}) }),
          gateway.cache.stats(),
          store.reservations.countHeld(clock.now().toISOString()),
        ]);
        const status = new Map(checks);
        const models = gateway.registry.list();
        return {
          version: deps.version,
          uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
          store: { dialect: store.dialect, status: status.get("store") ?? "ok" },
          redis: { configured: redis !== undefined, status: status.get("redis") ?? null },
          cache: cache ?? null,
          queues: { budgetReservations: held },
          providers: [...gateway.providers.keys()].map((name) => ({
            name,
            models: models.filter((model) => model.provider === name).length,
          })),
          demoOnly: gateway.registry.demoOnly,
          defaultModel: gateway.registry.defaultModel,
          lastBackup: deps.backups?.lastGoodAt()?.toISOString() ?? null,
          backupsEnabled: deps.backups !== undefined,
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/admin/backups",
      access: "admin",
      tag: "Admin",
      summary: "Take a backup now into BACKUP_DIR, written and checked as the schedule's are",
      description:
        "Answers once the backup is written and checked; asked for while one is being written, " +
        "answers with that one. Named officellm-on-demand-<time>.db and kept apart from the " +
        "scheduled ones (the newest 3), so it never pushes one out of BACKUP_KEEP. 409 " +
        "`conflict` when scheduled backups are off (BACKUP_DIR unset).",
      response: backupTakenSchema,
      successStatus: 201,
      handle: async ({ caller }) => {
        if (!deps.backups)
          throw new ApiError(
            "conflict",
            "Scheduled backups are off on this server: they need BACKUP_DIR, on SQLite (PostgreSQL " +
              "is backed up with its own tools; see operations.md, Backups)",
          );
        const { at, contents } = await deps.backups.backupNow();
        const taken = {
          at: at.toISOString(),
          tokens: contents.tokens,
          usage: contents.usage,
          auditLog: contents.auditLog,
        };
        await store.audit.record({
          actorTokenId: caller.tokenId,
          action: "backup.taken",
          subject: null,
          detail: { at: taken.at },
          createdAt: clock.now().toISOString(),
        });
        return taken;
      },
    }),
  ];
}
