import { sql, type ExpressionBuilder, type Kysely, type Selectable } from "kysely";
import type { Dialect } from "./database.ts";
import type { Database, UsageTable } from "./schema.ts";

export type UsageRow = Selectable<UsageTable>;

/** Rows with `created_at` in [since, until): ISO times, compared as text on both dialects. */
export interface UsageRange {
  since: string;
  until: string;
  /** Only this token's rows. */
  tokenId?: string;
}

export interface UsageSums {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Whole nano-dollars, summed exactly. */
  costNanoUsd: number;
}

export interface UsageTotals extends UsageSums {
  /** Calls answered from the cache (or shared with an identical call), billed nothing. */
  cachedCalls: number;
  failedCalls: number;
}

export type UsageByDay = UsageSums & { day: string };
export type UsageByModel = UsageSums & { model: string; provider: string };
export type UsageByToken = UsageSums & { tokenId: string; name: string | null };

/** Which ledger rows an operator looks for; every field narrows, none widens. */
export interface LedgerFilter {
  since?: string | undefined;
  until?: string | undefined;
  tokenId?: string | undefined;
  model?: string | undefined;
  status?: string | undefined;
  cached?: boolean | undefined;
  requestId?: string | undefined;
}

/** Where a page of the ledger (newest first) resumes: after the row with this time and id. */
export interface LedgerCursor {
  createdAt: string;
  id: string;
}

/** A model's calls over a range: how often they failed and how long they took. */
export interface ModelHealth {
  model: string;
  provider: string;
  calls: number;
  failedCalls: number;
  cachedCalls: number;
  /** Of the calls that went to the provider (not cached), in ms; null when there were none. */
  averageLatencyMs: number | null;
  maxLatencyMs: number | null;
}

/** The UTC day (YYYY-MM-DD) of an ISO time, the same expression on SQLite and PostgreSQL. */
const day = sql<string>`substr(usage.created_at, 1, 10)`;

/** The sums every breakdown carries. PostgreSQL answers counts and integer sums as strings. */
function sums(eb: ExpressionBuilder<Database, "usage">) {
  return [
    eb.fn.countAll<number | string>().as("calls"),
    eb.fn.sum<number | string | null>("usage.input_tokens").as("input_tokens"),
    eb.fn.sum<number | string | null>("usage.output_tokens").as("output_tokens"),
    eb.fn.sum<number | string | null>("usage.cost_nano_usd").as("cost_nano_usd"),
  ] as const;
}

function toSums(row: {
  calls: number | string;
  input_tokens: number | string | null;
  output_tokens: number | string | null;
  cost_nano_usd: number | string | null;
}): UsageSums {
  return {
    calls: Number(row.calls),
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    costNanoUsd: Number(row.cost_nano_usd ?? 0),
  };
}

/** The ledger: one row per model call, written before the response it records is sent. */
export class UsageRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async record(row: UsageRow): Promise<void> {
    await this.#db.insertInto("usage").values(row).execute();
  }

  /**
   * Writes rows with one multi-row INSERT: all of them are stored, or none. Then releases the
   * budget reservations `releasing` names (those of the calls the rows record), never before:
   * a call's cost may count twice for a moment, never zero times. On PostgreSQL both are one
   * transaction; SQLite, a single writer, runs them one after the other, as two connections of
   * one process (whose busy waits block the thread) must never wait on an open transaction.
   */
  async insertMany(rows: readonly UsageRow[], releasing: readonly string[] = []): Promise<void> {
    if (rows.length === 0) return;
    if (releasing.length === 0) {
      await this.#db.insertInto("usage").values(rows).execute();
      return;
    }
    const write = async (db: Kysely<Database>) => {
      await db.insertInto("usage").values(rows).execute();
      await db.deleteFrom("budget_reservations").where("id", "in", releasing).execute();
    };
    if (this.#dialect === "sqlite") await write(this.#db);
    else await this.#db.transaction().execute(write);
  }

  /** Total cost in nano-dollars of a token's calls at or after `since` (ISO time). */
  async spendSince(tokenId: string, since: string): Promise<number> {
    const { total } = await this.#db
      .selectFrom("usage")
      .select((eb) =>
        eb.fn.coalesce(eb.fn.sum<number | string>("cost_nano_usd"), eb.val(0)).as("total"),
      )
      .where("token_id", "=", tokenId)
      .where("created_at", ">=", since)
      .executeTakeFirstOrThrow();
    return Number(total);
  }

  async listForToken(tokenId: string): Promise<UsageRow[]> {
    return this.#db
      .selectFrom("usage")
      .selectAll()
      .where("token_id", "=", tokenId)
      .orderBy("created_at")
      .execute();
  }

  /** Sums over a range: calls, tokens, cost, cached and failed calls. */
  async totals(range: UsageRange): Promise<UsageTotals> {
    const row = await this.#inRange(range)
      .select((eb) => [
        ...sums(eb),
        eb.fn.sum<number | string | null>("usage.cached").as("cached_calls"),
        sql<number | string | null>`sum(case when usage.status = 'error' then 1 else 0 end)`.as(
          "failed_calls",
        ),
      ])
      .executeTakeFirstOrThrow();
    return {
      ...toSums(row),
      cachedCalls: Number(row.cached_calls ?? 0),
      failedCalls: Number(row.failed_calls ?? 0),
    };
  }

  /** One entry per UTC day that has calls, oldest first. */
  async byDay(range: UsageRange): Promise<UsageByDay[]> {
    const rows = await this.#inRange(range)
      .select((eb) => [day.as("day"), ...sums(eb)])
      .groupBy(day)
      .orderBy(day)
      .execute();
    return rows.map((row) => ({ day: row.day, ...toSums(row) }));
  }

  /** One entry per model (and its provider), the costliest first. */
  async byModel(range: UsageRange): Promise<UsageByModel[]> {
    const rows = await this.#inRange(range)
      .select((eb) => ["usage.model", "usage.provider", ...sums(eb)])
      .groupBy(["usage.model", "usage.provider"])
      .execute();
    return rows
      .map((row) => ({ model: row.model, provider: row.provider, ...toSums(row) }))
      .sort(byCostThenCalls((row) => `${row.model} ${row.provider}`));
  }

  /** One entry per token with its name, the costliest first. */
  async byToken(range: UsageRange): Promise<UsageByToken[]> {
    const rows = await this.#inRange(range)
      .leftJoin("tokens", "tokens.id", "usage.token_id")
      .select((eb) => ["usage.token_id", eb.fn.max("tokens.name").as("name"), ...sums(eb)])
      .groupBy("usage.token_id")
      .execute();
    return rows
      .map((row) => ({ tokenId: row.token_id, name: row.name ?? null, ...toSums(row) }))
      .sort(byCostThenCalls((row) => row.tokenId));
  }

  /** A page of the ledger with each token's name, newest first, from after `after` when given. */
  async list(
    filter: LedgerFilter,
    limit: number,
    after?: LedgerCursor,
  ): Promise<(UsageRow & { token_name: string | null })[]> {
    let query = this.#db
      .selectFrom("usage")
      .leftJoin("tokens", "tokens.id", "usage.token_id")
      .selectAll("usage")
      .select("tokens.name as token_name");
    const { since, until, tokenId, model, status, cached, requestId } = filter;
    if (since !== undefined) query = query.where("usage.created_at", ">=", since);
    if (until !== undefined) query = query.where("usage.created_at", "<", until);
    if (tokenId !== undefined) query = query.where("usage.token_id", "=", tokenId);
    if (model !== undefined) query = query.where("usage.model", "=", model);
    if (status !== undefined) query = query.where("usage.status", "=", status);
    if (cached !== undefined) query = query.where("usage.cached", "=", cached ? 1 : 0);
    if (requestId !== undefined) query = query.where("usage.request_id", "=", requestId);
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb("usage.created_at", "<", after.createdAt),
          eb.and([eb("usage.created_at", "=", after.createdAt), eb("usage.id", "<", after.id)]),
        ]),
      );
    }
    return query
      .orderBy("usage.created_at", "desc")
      .orderBy("usage.id", "desc")
      .limit(limit)
      .execute();
  }

  /** Per model over a range: failures and the provider's latency, the busiest first. */
  async modelHealth(range: UsageRange): Promise<ModelHealth[]> {
    const upstream = sql<number | null>`case when usage.cached = 0 then usage.latency_ms end`;
    const rows = await this.#inRange(range)
      .select((eb) => [
        "usage.model",
        "usage.provider",
        eb.fn.countAll<number | string>().as("calls"),
        sql<number | string | null>`sum(case when usage.status = 'error' then 1 else 0 end)`.as(
          "failed_calls",
        ),
        eb.fn.sum<number | string | null>("usage.cached").as("cached_calls"),
        sql<number | string | null>`avg(${upstream})`.as("average_latency"),
        sql<number | string | null>`max(${upstream})`.as("max_latency"),
      ])
      .groupBy(["usage.model", "usage.provider"])
      .execute();
    const orNull = (value: number | string | null) => (value === null ? null : Number(value));
    return rows
      .map((row) => ({
        model: row.model,
        provider: row.provider,
        calls: Number(row.calls),
        failedCalls: Number(row.failed_calls ?? 0),
        cachedCalls: Number(row.cached_calls ?? 0),
        averageLatencyMs: orNull(row.average_latency),
        maxLatencyMs: orNull(row.max_latency),
      }))
      .sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model));
  }

  #inRange(range: UsageRange) {
    let query = this.#db
      .selectFrom("usage")
      .where("usage.created_at", ">=", range.since)
      .where("usage.created_at", "<", range.until);
    if (range.tokenId !== undefined) query = query.where("usage.token_id", "=", range.tokenId);
    return query;
  }
}

function byCostThenCalls<T extends UsageSums>(name: (row: T) => string) {
  return (a: T, b: T) =>
    b.costNanoUsd - a.costNanoUsd || b.calls - a.calls || name(a).localeCompare(name(b));
}
