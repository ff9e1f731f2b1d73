/**
 * A PostgreSQL connection lost while a request holds it (between two statements of a
 * transaction, or as the database stops): the pool listens only to idle connections, so without
 * OfficeLLM's own listener the loss would end the process.
 */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { reportingUnavailability } from "./unavailable.ts";

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
