/**
 * A PostgreSQL connection lost while a request holds it (between two statements of a
 * transaction, or as the database stops): the pool listens only to idle connections, so without
 * OfficeLLM's own listener the loss would end the process. And PostgreSQL's own
 * statement_timeout, which cancels a slow statement on the server.
 */
import { sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { apiErrorOf } from "../http/failures.ts";
import { connect } from "./database.ts";
import { DatabaseUnavailableError, reportingUnavailability } from "./unavailable.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const postgresUrl = DATABASE_URL?.startsWith("postgres") ? DATABASE_URL : undefined;

async function terminate(url: string, pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query("select pg_terminate_backend($1)", [pid]);
  } finally {
    await admin.end();
  }
}

describe.skipIf(!postgresUrl)("a connection lost while checked out", () => {
  it("neither ends the process nor goes back to the pool: the next query opens another", async () => {
    const url = postgresUrl ?? "";
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on("error", () => {});
    const opened: pg.PoolClient[] = [];
    pool.on("acquire", (client) => opened.push(client));
    const connections = reportingUnavailability(pool);
    try {
      const held = await connections.connect();
      const first = await held.query<{ pid: number }>("select pg_backend_pid() as pid", []);
      const pid = first.rows[0]?.pid ?? 0;
      const raw = opened[0];
      if (!raw) throw new Error("the pool lent no connection");
      const ended = new Promise((resolve) => raw.once("end", resolve));

      await terminate(url, pid);
      // The connection reports its loss ('error', then 'end') while no query is under way.
      await ended;
      held.release();

      const next = await connections.connect();
      const second = await next.query<{ pid: number }>("select pg_backend_pid() as pid", []);
      next.release();
      expect(second.rows[0]?.pid).toEqual(expect.any(Number));
      expect(second.rows[0]?.pid).not.toBe(pid);
    } finally {
      await pool.end();
    }
  });
});

describe.skipIf(!postgresUrl)("PostgreSQL's own statement_timeout", () => {
  type Db = ReturnType<typeof connect>["db"];
  const setting = async (db: Db) =>
    (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db)).rows[0]
      ?.statement_timeout;
  const backendPid = async (db: Db) =>
    (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;

  it("is off while migrations run, and 10 s on the same connections afterwards", async () => {
    const { db, limitQueryTime } = connect(postgresUrl ?? "");
    try {
      const pid = await backendPid(db);
      expect(await setting(db)).toBe("0");
      limitQueryTime();
      expect(await setting(db)).toBe("10s");
      expect(await backendPid(db)).toBe(pid);
    } finally {
      await db.destroy();
    }
  });

  it("cancels a statement that runs past it on the server: 503 unavailable, the connection kept", async () => {
    const { db, limitQueryTime } = connect(postgresUrl ?? "", { statementTimeoutMs: 300 });
    limitQueryTime();
    try {
      const pid = await backendPid(db);
      const started = Date.now();
      const failure = await sql`select pg_sleep(5)`.execute(db).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Cancelled by PostgreSQL at 300 ms, well before the local limit 2 s later.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(failure).toBeInstanceOf(DatabaseUnavailableError);
      expect(((failure as Error).cause as { code?: string }).code).toBe("57014");
      expect(apiErrorOf(failure)).toMatchObject({ code: "unavailable", status: 503 });
      // Not a broken connection: the pool lends the same one again, and it answers.
      expect(await backendPid(db)).toBe(pid);
    } finally {
      await db.destroy();
    }
  });
});
