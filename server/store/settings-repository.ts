import type { Kysely, Selectable } from "kysely";
import type { Database, UserSettingsTable } from "./schema.ts";

export type SettingsRow = Selectable<UserSettingsTable>;

export class SettingsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(tokenId: string): Promise<SettingsRow | undefined> {
    return this.#db
      .selectFrom("user_settings")
      .selectAll()
      .where("token_id", "=", tokenId)
      .executeTakeFirst();
  }

  async put(row: SettingsRow): Promise<void> {
    await this.#db
      .insertInto("user_settings")
      .values(row)
      .onConflict((oc) =>
        oc.column("token_id").doUpdateSet({
          model: row.model,
          system_prompt: row.system_prompt,
          temperature: row.temperature,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }
}
