import { sql, type Kysely } from "kysely";
import type { Dialect } from "./database.ts";
import type { Database } from "./schema.ts";

export interface Reservation {
  id: string;
  tokenId: string;
  amountNanoUsd: number;
  /** When it stops counting, should its call never settle (ISO time). */
  expiresAt: string;
}

/** Where a token's month stands: what its ledger rows cost, and what is held for calls in flight. */
export interface BudgetStanding {
  spentNanoUsd: number;
  heldNanoUsd: number;
}

/**
 * Budget reservations, shared by every instance on the database: a call holds its maximum cost
 * before it goes upstream, so that concurrent calls, here or elsewhere, cannot spend past the
 * budget together. Writing a call's ledger row releases its hold (UsageRepository.insertMany),
 * never before the row is in, so the money counts once or for a moment twice, never zero times.
 */
export class BudgetReservations {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /**
   * Holds `reservation` if the month's ledger rows (from `since`), the token's live holds and it
   * fit within `budgetNanoUsd`; false, holding nothing, if they do not. The check and the hold
   * are one statement, run one at a time per token: SQLite has a single writer; PostgreSQL takes
   * an advisory lock on the token first.
   */
  async reserve(reservation: Reservation, budget: Budget): Promise<boolean> {
    if (this.#dialect === "sqlite") return hold(this.#db, reservation, budget);
    return this.#db.transaction().execute(async (trx) => {
      // Read committed: the statements after the lock see every hold and row committed before.
      await sql`select pg_advisory_xact_lock(${BUDGET_LOCK_CLASS}, hashtext(${reservation.tokenId}))`.execute(
        trx,
      );
      return hold(trx, reservation, budget);
    });
  }

  /** Gives a hold back (a call that ended without a ledger row, or with one of no cost). */
  async release(id: string): Promise<void> {
    await this.#db.deleteFrom("budget_reservations").where("id", "=", id).execute();
  }

  /** Holds standing at `now` (ISO), every token's: the model calls in flight on every instance. */
  async countHeld(now: string): Promise<number> {
    const { held } = await this.#db
      .selectFrom("budget_reservations")
      .select((eb) => eb.fn.countAll<number | string>().as("held"))
      .where("expires_at", ">", now)
      .executeTakeFirstOrThrow();
    return Number(held);
  }

  async standing(tokenId: string, since: string, now: string): Promise<BudgetStanding> {
    const { spent, held } = await sql<{ spent: number | string; held: number | string }>`
      select ${spentSince(tokenId, since)} as spent, ${heldAt(tokenId, now)} as held`
      .execute(this.#db)
      .then((result) => result.rows[0]!);
    return { spentNanoUsd: Number(spent), heldNanoUsd: Number(held) };
  }
}

interface Budget {
  budgetNanoUsd: number;
  /** The month's first instant (ISO): ledger rows from then on count. */
  since: string;
  /** Now (ISO): holds that expired by then count no more, and are deleted. */
  now: string;
}

/**
 * Deletes the token's expired holds, then holds the amount if it fits. Each statement is atomic
 * on its own; SQLite runs them outside a transaction, so that two connections of one process
 * (whose busy waits block the thread) never wait on each other's open transaction.
 */
async function hold(
  db: Kysely<Database>,
  { id, tokenId, amountNanoUsd, expiresAt }: Reservation,
  budget: Budget,
): Promise<boolean> {
  await db
    .deleteFrom("budget_reservations")
    .where("token_id", "=", tokenId)
    .where("expires_at", "<=", budget.now)
    .execute();
  const inserted = await sql`
    insert into budget_reservations (id, token_id, amount_nano_usd, expires_at)
    select ${id}, ${tokenId}, cast(${amountNanoUsd} as bigint), ${expiresAt}
    where ${spentSince(tokenId, budget.since)} + ${heldAt(tokenId, budget.now)}
      + ${amountNanoUsd} <= ${budget.budgetNanoUsd}`.execute(db);
  return Number(inserted.numAffectedRows ?? 0) === 1;
}

/** Namespaces the advisory locks taken here (the first key of PostgreSQL's two-key form). */
const BUDGET_LOCK_CLASS = sql.lit(0x0b0d6e7);

function spentSince(tokenId: string, since: string) {
  return sql`(select coalesce(sum(cost_nano_usd), 0) from usage
    where token_id = ${tokenId} and created_at >= ${since})`;
}

function heldAt(tokenId: string, now: string) {
  return sql`(select coalesce(sum(amount_nano_usd), 0) from budget_reservations
    where token_id = ${tokenId} and expires_at > ${now})`;
}
