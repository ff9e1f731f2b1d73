import type { Kysely, Selectable, Updateable } from "kysely";
import type { Database, TemplatesTable } from "./schema.ts";

export type TemplateRow = Selectable<TemplatesTable>;

/** Prompt templates, each owned by one token. */
export class TemplateRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: TemplateRow): Promise<void> {
    await this.#db.insertInto("templates").values(row).execute();
  }

  async get(tokenId: string, id: string): Promise<TemplateRow | undefined> {
    return this.#db
      .selectFrom("templates")
      .selectAll()
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  async list(tokenId: string): Promise<TemplateRow[]> {
    return this.#db
      .selectFrom("templates")
      .selectAll()
      .where("token_id", "=", tokenId)
      .orderBy("name")
      .execute();
  }

  /** Returns whether a template of this token was updated. */
  async update(tokenId: string, id: string, patch: Updateable<TemplatesTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable("templates")
      .set(patch)
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(tokenId: string, id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("templates")
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
