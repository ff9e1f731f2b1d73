import type { Kysely, Selectable } from "kysely";
import type { Database, UsageTable } from "./schema.ts";

export type UsageRow = Selectable<UsageTable>;

/** The ledger: one row per model call, written before the response it records is sent. */
export class UsageRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(row: UsageRow): Promise<void> {
    await this.#db.insertInto("usage").values(row).execute();
  }

  /** Total cost in USD of a token's calls at or after `since` (ISO time). */
  async spendSince(tokenId: string, since: string): Promise<number> {
    const { total } = await this.#db
      .selectFrom("usage")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), eb.val(0)).as("total"))
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
}
