import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export type AuditAction =
  | "token.created"
  | "token.rotated"
  | "token.revoked"
  | "token.updated"
  | "settings.changed"
  | "calendar.connected"
  | "calendar.disconnected";

export interface AuditEntry {
  id: string;
  actorTokenId: string | null;
  action: AuditAction;
  subject: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

export class AuditRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(entry: Omit<AuditEntry, "id">): Promise<void> {
    await this.#db
      .insertInto("audit_log")
      .values({
        id: randomUUID(),
        actor_token_id: entry.actorTokenId,
        action: entry.action,
        subject: entry.subject,
        detail: JSON.stringify(entry.detail),
        created_at: entry.createdAt,
      })
      .execute();
  }

  async list(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.#db
      .selectFrom("audit_log")
      .selectAll()
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      actorTokenId: row.actor_token_id,
      action: row.action as AuditAction,
      subject: row.subject,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
      createdAt: row.created_at,
    }));
  }
}
