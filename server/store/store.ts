import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Kysely } from "kysely";
import type { Logger } from "../logger.ts";
import { AuditRepository } from "./audit-repository.ts";
import { BudgetReservations } from "./budget-reservations.ts";
import { CalendarRepository } from "./calendar-repository.ts";
import { ConversationRepository } from "./conversation-repository.ts";
import { FileRepository } from "./file-repository.ts";
import { connect, migrateToLatest, ping, type ConnectOptions, type Dialect } from "./database.ts";
import type { Database } from "./schema.ts";
import { SettingsRepository } from "./settings-repository.ts";
import { copySqliteDatabase } from "./sqlite-copy.ts";
import { TemplateRepository } from "./template-repository.ts";
import { sqliteTokenChanges, type TokenChanges } from "./token-changes.ts";
import { watchPostgresTokenChanges } from "./token-changes-postgres.ts";
import { TokenRepository } from "./token-repository.ts";
import { UsageRepository } from "./usage-repository.ts";
import { UsageWriter } from "./usage-writer.ts";

/** Everything OfficeLLM keeps, behind one object the app receives as a dependency. */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  readonly tokens: TokenRepository;
  readonly usage: UsageRepository;
  /** The ledger's group-committed writes. */
  readonly usageWriter: UsageWriter;
  /** Money held against budgets for calls in flight. */
  readonly reservations: BudgetReservations;
  readonly audit: AuditRepository;
  readonly settings: SettingsRepository;
  readonly templates: TemplateRepository;
  readonly conversations: ConversationRepository;
  readonly calendar: CalendarRepository;
  readonly files: FileRepository;
  ping(): Promise<void>;
  /** Starts following the token change counter, for a cache of tokens (close it before the store). */
  watchTokenChanges(logger: Logger): Promise<TokenChanges>;
  /** Writes a consistent copy of the embedded database while it is in use (SQLite only). */
  backup(path: string): Promise<void>;
  /** Writes the ledger rows still queued, then disconnects. */
  close(): Promise<void>;
}

/** Opens the database named by `databaseUrl` and runs pending migrations. */
export async function openStore(databaseUrl: string, options: ConnectOptions = {}): Promise<Store> {
  const { db, dialect, sqliteFile, limitQueryTime } = connect(databaseUrl, options);
  try {
    await migrateToLatest(db, dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  limitQueryTime();
  const usage = new UsageRepository(db, dialect);
  const usageWriter = new UsageWriter(usage);
  return {
    dialect,
    db,
    tokens: new TokenRepository(db),
    usage,
    usageWriter,
    reservations: new BudgetReservations(db, dialect),
    audit: new AuditRepository(db),
    settings: new SettingsRepository(db),
    templates: new TemplateRepository(db),
    conversations: new ConversationRepository(db),
    calendar: new CalendarRepository(db),
    files: new FileRepository(db),
    ping: () => ping(db),
    watchTokenChanges: async (logger) =>
      sqliteFile
        ? sqliteTokenChanges(sqliteFile)
        : watchPostgresTokenChanges(db, databaseUrl, logger),
    async backup(path) {
      if (!sqliteFile) {
        throw new Error("backup copies the embedded SQLite database; use pg_dump for PostgreSQL");
      }
      mkdirSync(dirname(resolve(path)), { recursive: true });
      await copySqliteDatabase(sqliteFile, path);
    },
    async close() {
      await usageWriter.flush();
      await db.destroy();
    },
  };
}
