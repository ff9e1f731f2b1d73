import type { Kysely, Selectable, Updateable } from "kysely";
import type {
  CalendarConnectionsTable,
  Database,
  OAuthStartsTable,
  OAuthStatesTable,
} from "./schema.ts";

export type CalendarConnectionRow = Selectable<CalendarConnectionsTable>;
export type OAuthStateRow = Selectable<OAuthStatesTable>;
export type OAuthStartRow = Selectable<OAuthStartsTable>;

/**
 * Google Calendar connections (one per token), and the start tickets and pending OAuth states
 * that create them.
 */
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

  /** Saves a start ticket, sweeping those that expired before `sweepBefore`. */
  async insertStart(row: OAuthStartRow, sweepBefore: string): Promise<void> {
    await this.#db.deleteFrom("oauth_starts").where("expires_at", "<", sweepBefore).execute();
    await this.#db.insertInto("oauth_starts").values(row).execute();
  }

  /**
   * Uses a start ticket, once and before it expires: the token it was issued to, or why not
   * (only one browser can win).
   */
  async takeStart(
    ticketHash: string,
    now: string,
  ): Promise<{ tokenId: string } | { refused: "unknown" | "used" | "expired" }> {
    const taken = await this.#db
      .updateTable("oauth_starts")
      .set({ used_at: now })
      .where("ticket_hash", "=", ticketHash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .returning("token_id")
      .executeTakeFirst();
    if (taken) return { tokenId: taken.token_id };
    const row = await this.#db
      .selectFrom("oauth_starts")
      .select("used_at")
      .where("ticket_hash", "=", ticketHash)
      .executeTakeFirst();
    return { refused: !row ? "unknown" : row.used_at ? "used" : "expired" };
  }
}
