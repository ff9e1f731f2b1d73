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
  | "calendar.disconnected"
  | "backup.taken";

export interface AuditEntry {
  id: string;
  actorTokenId: string | null;
  action: AuditAction;
  subject: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

/** Which entries an operator looks for; every field narrows. */
export interface AuditFilter {
  action?: string | undefined;
  actorTokenId?: string | undefined;
  subject?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Entries older than this one (its time and id), for the next page. */
  after?: { createdAt: string; id: string } | undefined;
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

  /** Newest first. */
  async list(limit = 100, filter: AuditFilter = {}): Promise<AuditEntry[]> {
    let query = this.#db.selectFrom("audit_log").selectAll();
    if (filter.action !== undefined) query = query.where("action", "=", filter.action);
    if (filter.actorTokenId !== undefined)
      query = query.where("actor_token_id", "=", filter.actorTokenId);
    if (filter.subject !== undefined) query = query.where("subject", "=", filter.subject);
    if (filter.since !== undefined) query = query.where("created_at", ">=", filter.since);
    if (filter.until !== undefined) query = query.where("created_at", "<", filter.until);
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb("created_at", "<", after.createdAt),
          eb.and([eb("created_at", "=", after.createdAt), eb("id", "<", after.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
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
