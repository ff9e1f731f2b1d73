import type { Kysely, Selectable } from "kysely";
import type { Database, FilesTable } from "./schema.ts";

export type FileRow = Selectable<FilesTable>;
/** A file without its text, as lists show it. */
export type FileSummaryRow = Omit<FileRow, "text">;

const summaryColumns = [
  "id",
  "token_id",
  "name",
  "kind",
  "bytes",
  "text_chars",
  "detail",
  "created_at",
  "expires_at",
] as const;

/** Uploaded files' extracted text, each owned by one token and kept until it expires. */
export class FileRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: FileRow): Promise<void> {
    await this.#db.insertInto("files").values(row).execute();
  }

  /** A token's file, unless it has expired (the sweep may not have run yet). */
  async get(tokenId: string, id: string, now: string): Promise<FileRow | undefined> {
    return this.#db
      .selectFrom("files")
      .selectAll()
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .where("expires_at", ">", now)
      .executeTakeFirst();
  }

  /** Several of a token's files at once; those missing or expired are left out. */
  async getMany(tokenId: string, ids: readonly string[], now: string): Promise<FileRow[]> {
    if (ids.length === 0) return [];
    return this.#db
      .selectFrom("files")
      .selectAll()
      .where("token_id", "=", tokenId)
      .where("id", "in", ids)
      .where("expires_at", ">", now)
      .execute();
  }

  async list(tokenId: string, now: string): Promise<FileSummaryRow[]> {
    return this.#db
      .selectFrom("files")
      .select(summaryColumns)
      .where("token_id", "=", tokenId)
      .where("expires_at", ">", now)
      .orderBy("created_at", "desc")
      .execute();
  }

  async delete(tokenId: string, id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("files")
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes the files expired by `now`; answers how many. */
  async sweep(now: string): Promise<number> {
    const result = await this.#db
      .deleteFrom("files")
      .where("expires_at", "<=", now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** What all tokens keep, for operators: files, tokens holding some, bytes uploaded, text kept. */
  async totals(
    now: string,
  ): Promise<{ files: number; tokens: number; bytes: number; textChars: number }> {
    const row = await this.#db
      .selectFrom("files")
      .select((eb) => [
        eb.fn.countAll<number | string | bigint>().as("files"),
        eb.fn.count<number | string | bigint>("token_id").distinct().as("tokens"),
        eb.fn.sum<number | string | bigint | null>("bytes").as("bytes"),
        eb.fn.sum<number | string | bigint | null>("text_chars").as("text_chars"),
      ])
      .where("expires_at", ">", now)
      .executeTakeFirstOrThrow();
    return {
      files: Number(row.files),
      tokens: Number(row.tokens),
      bytes: Number(row.bytes ?? 0),
      textChars: Number(row.text_chars ?? 0),
    };
  }
}
