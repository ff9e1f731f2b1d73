import type { Kysely, Selectable, Updateable } from "kysely";
import type { CalendarConnectionsTable, Database, OAuthStatesTable } from "./schema.ts";

export type CalendarConnectionRow = Selectable<CalendarConnectionsTable>;
export type OAuthStateRow = Selectable<OAuthStatesTable>;

/** Google Calendar connections (one per token) and the pending OAuth states that create them. */
export class CalendarRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async getConnection(tokenId: string): Promise<CalendarConnectionRow | undefined> {
    return this.#db
      .selectFrom("calendar_connections")
      .selectAll()
      .where("token_id", "=", tokenId)
      .executeTakeFirst();
  }

  /** Inserts the token's connection, or replaces it (a reconnect). */
  async putConnection(row: CalendarConnectionRow): Promise<void> {
    const { token_id: _tokenId, ...rest } = row;
    await this.#db
      .insertInto("calendar_connections")
      .values(row)
      .onConflict((oc) => oc.column("token_id").doUpdateSet(rest))
      .execute();
  }

  async updateConnection(
    tokenId: string,
    patch: Updateable<CalendarConnectionsTable>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable("calendar_connections")
      .set(patch)
      .where("token_id", "=", tokenId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteConnection(tokenId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("calendar_connections")
      .where("token_id", "=", tokenId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Saves a pending state, sweeping those that expired before `sweepBefore`. */
  async insertState(row: OAuthStateRow, sweepBefore: string): Promise<void> {
    await this.#db.deleteFrom("oauth_states").where("expires_at", "<", sweepBefore).execute();
    await this.#db.insertInto("oauth_states").values(row).execute();
  }

  async getState(stateHash: string): Promise<OAuthStateRow | undefined> {
    return this.#db
      .selectFrom("oauth_states")
      .selectAll()
      .where("state_hash", "=", stateHash)
      .executeTakeFirst();
  }

  /** Marks a state used; false when it was used already (only one callback can win). */
  async consumeState(stateHash: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("oauth_states")
      .set({ used_at: now })
      .where("state_hash", "=", stateHash)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
