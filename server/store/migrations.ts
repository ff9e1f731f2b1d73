import { sql, type Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";
import type { Dialect } from "./database.ts";
import { TOKEN_CHANGES_CHANNEL } from "./token-changes.ts";

/**
 * The one set of migrations for SQLite and PostgreSQL. Only portable column types are used;
 * a new migration is a new entry, never an edit of a shipped one.
 */
const migrations: Record<string, Migration> = {
  "0001_tokens_usage_audit": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("tokens")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("prefix", "text", (col) => col.notNull())
        .addColumn("secret_hash", "text", (col) => col.notNull().unique())
        .addColumn("previous_secret_hash", "text")
        .addColumn("previous_expires_at", "text")
        .addColumn("scopes", "text", (col) => col.notNull())
        .addColumn("rpm", "integer")
        .addColumn("budget_usd", "double precision")
        .addColumn("expires_at", "text")
        .addColumn("revoked_at", "text")
        .addColumn("last_used_at", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("tokens_previous_secret_hash")
        .on("tokens")
        .column("previous_secret_hash")
        .execute();

      await db.schema
        .createTable("usage")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("request_id", "text", (col) => col.notNull())
        .addColumn("provider", "text", (col) => col.notNull())
        .addColumn("model", "text", (col) => col.notNull())
        .addColumn("input_tokens", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("output_tokens", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("cost_usd", "double precision", (col) => col.notNull().defaultTo(0))
        .addColumn("cached", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("latency_ms", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("status", "text", (col) => col.notNull())
        .addColumn("error_code", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("usage_token_time")
        .on("usage")
        .columns(["token_id", "created_at"])
        .execute();

      await db.schema
        .createTable("audit_log")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("actor_token_id", "text")
        .addColumn("action", "text", (col) => col.notNull())
        .addColumn("subject", "text")
        .addColumn("detail", "text", (col) => col.notNull())
        .addColumn("created_at", "text", (col) => col.notNull())
        .execute();
      await db.schema.createIndex("audit_log_time").on("audit_log").column("created_at").execute();
    },
  },
  "0002_settings_templates_conversations": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("user_settings")
        .addColumn("token_id", "text", (col) => col.primaryKey())
        .addColumn("model", "text")
        .addColumn("system_prompt", "text")
        .addColumn("temperature", "double precision")
        .addColumn("updated_at", "text", (col) => col.notNull())
        .execute();

      await db.schema
        .createTable("templates")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("description", "text")
        .addColumn("body", "text", (col) => col.notNull())
        .addColumn("system_prompt", "text")
        .addColumn("model", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .addColumn("updated_at", "text", (col) => col.notNull())
        .execute();
      await db.schema.createIndex("templates_token").on("templates").column("token_id").execute();

      await db.schema
        .createTable("conversations")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("title", "text", (col) => col.notNull())
        .addColumn("model", "text")
        .addColumn("system_prompt", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .addColumn("updated_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("conversations_token")
        .on("conversations")
        .columns(["token_id", "updated_at"])
        .execute();

      await db.schema
        .createTable("conversation_messages")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("conversation_id", "text", (col) => col.notNull())
        .addColumn("seq", "integer", (col) => col.notNull())
        .addColumn("role", "text", (col) => col.notNull())
        .addColumn("content", "text", (col) => col.notNull())
        .addColumn("created_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("conversation_messages_order")
        .on("conversation_messages")
        .columns(["conversation_id", "seq"])
        .unique()
        .execute();
    },
  },
  "0003_calendar": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("calendar_connections")
        .addColumn("token_id", "text", (col) => col.primaryKey())
        .addColumn("tokens_sealed", "text", (col) => col.notNull())
        .addColumn("email", "text")
        .addColumn("time_zone", "text")
        .addColumn("scope", "text", (col) => col.notNull())
        .addColumn("needs_reconnect", "integer", (col) => col.notNull().defaultTo(0))
        .addColumn("connected_at", "text", (col) => col.notNull())
        .addColumn("updated_at", "text", (col) => col.notNull())
        .execute();

      await db.schema
        .createTable("oauth_states")
        .addColumn("state_hash", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("code_verifier_sealed", "text", (col) => col.notNull())
        .addColumn("expires_at", "text", (col) => col.notNull())
        .addColumn("used_at", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("oauth_states_expiry")
        .on("oauth_states")
        .column("expires_at")
        .execute();
    },
  },
  "0005_consent_browser": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("oauth_starts")
        .addColumn("ticket_hash", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("expires_at", "text", (col) => col.notNull())
        .addColumn("used_at", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("oauth_starts_expiry")
        .on("oauth_starts")
        .column("expires_at")
        .execute();
      // States issued before have none: their callbacks are refused ("start again").
      await db.schema.alterTable("oauth_states").addColumn("browser_hash", "text").execute();
    },
  },
  "0006_ledger_cost_in_nano_usd": {
    async up(db: Kysely<unknown>) {
      // The ledger's cost becomes whole nano-dollars; rows written as binary fractions of a
      // dollar (8.774999999999999e-5) round to the amount they stood for (87750).
      await db.schema
        .alterTable("usage")
        .addColumn("cost_nano_usd", "bigint", (col) => col.notNull().defaultTo(0))
        .execute();
      await sql`update usage set cost_nano_usd = round(cost_usd * 1000000000)`.execute(db);
      await db.schema.alterTable("usage").dropColumn("cost_usd").execute();
    },
  },
  "0007_budget_reservations": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("budget_reservations")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("amount_nano_usd", "bigint", (col) => col.notNull())
        .addColumn("expires_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("budget_reservations_token")
        .on("budget_reservations")
        .columns(["token_id", "expires_at"])
        .execute();
    },
  },
  // The admin console's ledger: a request id looked up for support, pages by time across tokens.
  "0008_ledger_lookups": {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex("usage_request").on("usage").column("request_id").execute();
      await db.schema.createIndex("usage_time").on("usage").columns(["created_at", "id"]).execute();
    },
  },
  "0009_files": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("files")
        .addColumn("id", "text", (col) => col.primaryKey())
        .addColumn("token_id", "text", (col) => col.notNull())
        .addColumn("name", "text", (col) => col.notNull())
        .addColumn("kind", "text", (col) => col.notNull())
        .addColumn("bytes", "integer", (col) => col.notNull())
        .addColumn("text", "text", (col) => col.notNull())
        .addColumn("text_chars", "integer", (col) => col.notNull())
        .addColumn("detail", "text")
        .addColumn("created_at", "text", (col) => col.notNull())
        .addColumn("expires_at", "text", (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex("files_token")
        .on("files")
        .columns(["token_id", "created_at"])
        .execute();
      await db.schema.createIndex("files_expiry").on("files").column("expires_at").execute();
    },
  },
  // Which of a provider's keys answered each call, by the operator's label; null on older rows.
  "0010_ledger_key_label": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("usage").addColumn("key_label", "text").execute();
    },
  },
  // Function calling in conversations: an assistant turn's calls (JSON), a tool turn's call id.
  "0011_conversation_tool_turns": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("conversation_messages").addColumn("tool_calls", "text").execute();
      await db.schema
        .alterTable("conversation_messages")
        .addColumn("tool_call_id", "text")
        .execute();
    },
  },
};

/**
 * The columns of `tokens` that decide whether a secret is accepted, and as whom: every column but
 * `last_used_at`, which requests write once a minute and which must not drop every instance's
 * cached tokens each time. A column added to `tokens` later belongs here, in a new migration
 * (store/token-changes.int.test.ts checks that each one moves the counter).
 */
const TOKEN_DECIDING_COLUMNS = [
  "id",
  "name",
  "prefix",
  "secret_hash",
  "previous_secret_hash",
  "previous_expires_at",
  "scopes",
  "rpm",
  "budget_usd",
  "expires_at",
  "revoked_at",
  "created_at",
].join(", ");

/**
 * `token_changes`: one counter that a trigger moves on every change to a token row's deciding
 * columns and on every deletion, whoever makes it (a server, the command line, a statement typed
 * by hand), so that each instance can tell cheaply whether its cached tokens are still current
 * (store/token-changes.ts). On PostgreSQL the trigger also notifies the instances listening.
 */
function tokenChangesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("token_changes")
        .addColumn("id", "integer", (col) => col.primaryKey())
        .addColumn("generation", "integer", (col) => col.notNull())
        .execute();
      await sql`insert into token_changes (id, generation) values (1, 0)`.execute(db);
      const columns = sql.raw(TOKEN_DECIDING_COLUMNS);
      if (dialect === "sqlite") {
        const bump = sql.raw("update token_changes set generation = generation + 1;");
        await sql`create trigger tokens_changed_by_update after update of ${columns} on tokens
          begin ${bump} end`.execute(db);
        await sql`create trigger tokens_changed_by_delete after delete on tokens
          begin ${bump} end`.execute(db);
        return;
      }
      // The table's own schema, not the session's search_path: the trigger may fire in a
      // session whose search_path does not lead to this schema.
      await sql`create function officellm_tokens_changed() returns trigger language plpgsql as $$
        begin
          execute format('update %I.token_changes set generation = generation + 1', tg_table_schema);
          perform pg_notify(${sql.lit(TOKEN_CHANGES_CHANNEL)}, tg_table_schema);
          return null;
        end $$`.execute(db);
      await sql`create trigger tokens_changed after update of ${columns} or delete on tokens
        for each statement execute function officellm_tokens_changed()`.execute(db);
    },
  };
}

/** The migrations for `dialect`: the same tables on both, triggers written for each. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    getMigrations: async () => ({
      ...migrations,
      "0004_token_changes": tokenChangesMigration(dialect),
    }),
  };
}
