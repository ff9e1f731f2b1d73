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
import { reportingUnavailability } from "./unavailable.ts";

export type Dialect = "sqlite" | "postgres";

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, for backups; undefined on PostgreSQL. */
  sqliteFile: BetterSqlite3.Database | undefined;
  /**
   * From now on, PostgreSQL cancels a statement that runs past its statement_timeout, and one
   * unanswered for longer still (POSTGRES_QUERY_TIMEOUT_MS) fails with its connection dropped;
   * either is the database being unavailable. Called once the migrations, which may run long and
   * are not limited, are done.
   */
  limitQueryTime(): void;
}

/**
 * What may be set on the Kysely instance (`log` sees every statement it runs), and PostgreSQL's
 * statement_timeout (POSTGRES_STATEMENT_TIMEOUT_MS unless set, as tests set it shorter).
 */
export type ConnectOptions = Pick<KyselyConfig, "log"> & { statementTimeoutMs?: number };

/**
 * How hard SQLite holds on to a commit. In WAL mode, NORMAL keeps every commit through a crash of
 * the process, but the last ones may be lost on power loss or an OS crash; FULL syncs the log to
 * disk at each commit, so they are kept then too. The usage ledger is billing, and an answer is
 * sent only once its row is committed: with FULL, an answered call is never forgotten. Its cost is
 * one sync per group commit (the rows of one event-loop turn share it): about 0.1 ms measured,
 * nothing next to a model call (`npm run bench:ledger`; docs/operations.md, "Durability").
 */
export const SQLITE_SYNCHRONOUS = "FULL";

/** How long opening a PostgreSQL connection may take before it fails. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

/**
 * PostgreSQL's own statement_timeout: the server cancels a statement that runs longer (SQLSTATE
 * 57014), so the work stops there too, and the request answers 503 `unavailable`. Migrations,
 * which may run long, are not limited.
 */
export const POSTGRES_STATEMENT_TIMEOUT_MS = 10_000;

/**
 * How much longer than statement_timeout a statement may go unanswered before its connection
 * counts as lost and is dropped: a server that hangs, or a network that drops its packets,
 * cancels nothing.
 */
const UNANSWERED_MARGIN_MS = 2_000;

/** How long a PostgreSQL statement may go unanswered before its connection is dropped. */
export const POSTGRES_QUERY_TIMEOUT_MS = POSTGRES_STATEMENT_TIMEOUT_MS + UNANSWERED_MARGIN_MS;

/** Opens `sqlite:PATH` (creating its directory) or `postgres://…`. */
export function connect(databaseUrl: string, options: ConnectOptions = {}): Connection {
  const { statementTimeoutMs = POSTGRES_STATEMENT_TIMEOUT_MS, ...kyselyOptions } = options;
  if (databaseUrl.startsWith("sqlite:")) {
    const path = databaseUrl.slice("sqlite:".length);
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    const file = new BetterSqlite3(path);
    file.pragma("journal_mode = WAL");
    file.pragma(`synchronous = ${SQLITE_SYNCHRONOUS}`);
    file.pragma("busy_timeout = 5000");
    return {
      db: new Kysely<Database>({
        dialect: new SqliteDialect({ database: withStatementCache(file) }),
        ...kyselyOptions,
      }),
      dialect: "sqlite",
      sqliteFile: file,
      // SQLite runs in the process: a statement cannot go unanswered.
      limitQueryTime: () => {},
    };
  }
  // Required here, not imported at start-up: a server on SQLite never holds the driver in memory.
  const { Pool, types } = createRequire(import.meta.url)("pg") as typeof import("pg");
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 10,
    // With the database down or unreachable, a request fails within this (503 `unavailable`)
    // instead of waiting for the system's TCP timeout, minutes on an unroutable address.
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    // Each connection opens with it; a migration's connection sets it off (unavailable.ts).
    statement_timeout: statementTimeoutMs,
    // bigint columns (nano-dollars) read as numbers, as SQLite gives them: far below 2⁵³.
    types: {
      getTypeParser: (oid, format) =>
        oid === types.builtins.INT8 ? Number : types.getTypeParser(oid, format),
    },
  });
  // An idle connection the server closed (a restart, a failover) is dropped from the pool, and
  // the next query opens another; without a listener, its error would end the process.
  pool.on("error", () => {});
  let limited = false;
  return {
    db: new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: reportingUnavailability(pool, () =>
          limited
            ? { statementTimeoutMs, unansweredMs: statementTimeoutMs + UNANSWERED_MARGIN_MS }
            : undefined,
        ),
      }),
      ...kyselyOptions,
    }),
    dialect: "postgres",
    sqliteFile: undefined,
    limitQueryTime: () => {
      limited = true;
    },
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

/** The store's migrator: its migrations for `dialect`, its own tables in the store's schema. */
export async function createMigrator(db: Kysely<Database>, dialect: Dialect): Promise<Migrator> {
  return new Migrator({
    db,
    provider: migrationProvider(dialect),
    // Named, because the migrator looks for its tables in every schema it can see otherwise, and
    // takes another schema's (another application's, a parallel test's) for OfficeLLM's own.
    ...(dialect === "postgres" ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
}

/** Brings the schema up to date; safe to run on every start and from several instances. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const { error, results } = await (await createMigrator(db, dialect)).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  if (!rows[0]?.schema) throw new Error("PostgreSQL: no schema on the search_path exists");
  return rows[0].schema;
}

export async function ping(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
