import type { Kysely, Selectable } from "kysely";
import type { ConversationMessagesTable, ConversationsTable, Database } from "./schema.ts";

export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<ConversationMessagesTable>;

/** Conversation history, each conversation owned by one token. */
/** Messages to append: their ids and text, and a turn's function calls or call id. */
type NewMessages = (Pick<MessageRow, "id" | "role" | "content"> &
  Partial<Pick<MessageRow, "tool_calls" | "tool_call_id">>)[];

export class ConversationRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: ConversationRow): Promise<void> {
    await this.#db.insertInto("conversations").values(row).execute();
  }

  async get(tokenId: string, id: string): Promise<ConversationRow | undefined> {
    return this.#db
      .selectFrom("conversations")
      .selectAll()
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  async list(tokenId: string, limit: number): Promise<ConversationRow[]> {
    return this.#db
      .selectFrom("conversations")
      .selectAll()
      .where("token_id", "=", tokenId)
      .orderBy("updated_at", "desc")
      .limit(limit)
      .execute();
  }

  async messages(conversationId: string): Promise<MessageRow[]> {
    return this.#db
      .selectFrom("conversation_messages")
      .selectAll()
      .where("conversation_id", "=", conversationId)
      .orderBy("seq")
      .execute();
  }

  /** Appends messages after the last one, in one transaction, and touches the conversation. */
  async append(conversationId: string, messages: NewMessages, at: string): Promise<MessageRow[]> {
    return (await this.#append(conversationId, messages, at, undefined))!;
  }

  /**
   * Appends messages as `append` does, only if the last message is still the one the caller read
   * (`after`: its seq, null for none); else appends nothing and answers undefined.
   */
  async appendAfter(
    conversationId: string,
    messages: NewMessages,
    at: string,
    after: number | null,
  ): Promise<MessageRow[] | undefined> {
    return this.#append(conversationId, messages, at, { after });
  }

  async #append(
    conversationId: string,
    messages: NewMessages,
    at: string,
    expected: { after: number | null } | undefined,
  ): Promise<MessageRow[] | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      // Touching the conversation first locks its row (PostgreSQL), so concurrent appends to
      // one conversation take turns and never pick the same position.
      await trx
        .updateTable("conversations")
        .set({ updated_at: at })
        .where("id", "=", conversationId)
        .execute();
      const last = await trx
        .selectFrom("conversation_messages")
        .select((eb) => eb.fn.max<number>("seq").as("seq"))
        .where("conversation_id", "=", conversationId)
        .executeTakeFirst();
      const lastSeq = last?.seq === null || last?.seq === undefined ? null : Number(last.seq);
      if (expected && expected.after !== lastSeq) return undefined;
      const start = lastSeq === null ? 0 : lastSeq + 1;
      const rows: MessageRow[] = messages.map((message, index) => ({
        tool_calls: null,
        tool_call_id: null,
        ...message,
        conversation_id: conversationId,
        seq: start + index,
        created_at: at,
      }));
      if (rows.length > 0) await trx.insertInto("conversation_messages").values(rows).execute();
      return rows;
    });
  }

  /** Returns whether a conversation of this token was renamed. */
  async rename(tokenId: string, id: string, title: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("conversations")
      .set({ title })
      .where("token_id", "=", tokenId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(tokenId: string, id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom("conversations")
        .where("token_id", "=", tokenId)
        .where("id", "=", id)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.deleteFrom("conversation_messages").where("conversation_id", "=", id).execute();
      return true;
    });
  }
}
