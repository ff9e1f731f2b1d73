import type { Kysely, Selectable, Updateable } from "kysely";
import type { Database, TokensTable } from "./schema.ts";

export type TokenRow = Selectable<TokensTable>;

export class TokenRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: TokenRow): Promise<void> {
    await this.#db.insertInto("tokens").values(row).execute();
  }

  async findById(id: string): Promise<TokenRow | undefined> {
    return this.#db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** The token whose current or grace-period secret hashes to `hash`. */
  async findBySecretHash(hash: string): Promise<TokenRow | undefined> {
    return this.#db
      .selectFrom("tokens")
      .selectAll()
      .where((eb) => eb.or([eb("secret_hash", "=", hash), eb("previous_secret_hash", "=", hash)]))
      .executeTakeFirst();
  }

  async list(): Promise<TokenRow[]> {
    return this.#db.selectFrom("tokens").selectAll().orderBy("created_at").orderBy("id").execute();
  }

  async count(): Promise<number> {
    const { count } = await this.#db
      .selectFrom("tokens")
      .select((eb) => eb.fn.countAll().as("count"))
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async update(id: string, patch: Updateable<TokensTable>): Promise<void> {
    await this.#db.updateTable("tokens").set(patch).where("id", "=", id).execute();
  }
}
