import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type KyselyConfig,
  type SqliteDatabase,
} from "kysely";
import { Migrator } from "kysely/migration";
import { migrationProvider } from "./migrations.ts";
import type { Database } from "./schema.ts";

export type Dialect = "sqlite" | "postgres";

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, for backups; undefined on PostgreSQL. */
  sqliteFile: BetterSqlite3.Database | undefined;
}

/** What may be set on the Kysely instance: `log` sees every statement it runs. */
export type ConnectOptions = Pick<KyselyConfig, "log">;

/** Opens `sqlite:PATH` (creating its directory) or `postgres://…`. */
export function connect(databaseUrl: string, options: ConnectOptions = {}): Connection {
  if (databaseUrl.startsWith("sqlite:")) {
    const path = databaseUrl.slice("sqlite:".length);
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    const file = new BetterSqlite3(path);
    file.pragma("journal_mode = WAL");
    file.pragma("synchronous = NORMAL");
    file.pragma("busy_timeout = 5000");
    return {
      db: new Kysely<Database>({
        dialect: new SqliteDialect({ database: withStatementCache(file) }),
        ...options,
      }),
      dialect: "sqlite",
      sqliteFile: file,
    };
  }
  // Required here, not imported at start-up: a server on SQLite never holds the driver in memory.
  const { Pool, types } = createRequire(import.meta.url)("pg") as typeof import("pg");
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 10,
    // bigint columns (nano-dollars) read as numbers, as SQLite gives them: far below 2⁵³.
    types: {
      getTypeParser: (oid, format) =>
        oid === types.builtins.INT8 ? Number : types.getTypeParser(oid, format),
    },
  });
  return {
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...options }),
    dialect: "postgres",
    sqliteFile: undefined,
  };
}

/**
 * Kysely prepares every query anew; the gateway runs the same few queries on every request,
 * so their prepared statements are kept (keyed by SQL text, bounded).
 */
function withStatementCache(file: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => file.close(),
    prepare(sqlText: string) {
      let statement = statements.get(sqlText);
      if (!statement) {
        if (statements.size >= 500) statements.clear();
        statement = file.prepare(sqlText);
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

/** Brings the schema up to date; safe to run on every start and from several instances. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

export async function ping(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
