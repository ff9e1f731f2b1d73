/**
 * Several replicas starting at once on one PostgreSQL database (a Kubernetes rollout, Compose's
 * two instances) each run the migrations at start-up. Kysely's migrator takes a PostgreSQL
 * advisory lock (pg_advisory_lock) around the pending migrations and runs them in one
 * transaction, so they run once, whoever wins, and the others find nothing left to do. This checks
 * it with migrators on connections of their own, started together on an empty schema.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, type FreshDatabase } from "../test/backends.ts";
import { connect, migrateToLatest } from "./database.ts";
import { migrationProvider } from "./migrations.ts";

const postgres = backends.find((backend) => backend.dialect === "postgres")!;
const REPLICAS = 4;

describe.runIf(postgres.enabled)("migrations started by several replicas at once", () => {
  let database: FreshDatabase;
  beforeAll(async () => {
    database = await postgres.fresh();
  });
  afterAll(() => database?.cleanup());

  it("run each migration exactly once, and every replica starts on the migrated schema", async () => {
    const connections = Array.from({ length: REPLICAS }, () => connect(database.url));
    try {
      const applied = await Promise.all(
        connections.map(({ db, dialect }) => migrateToLatest(db, dialect)),
      );
      const expected = Object.keys(await migrationProvider("postgres").getMigrations()).sort();
      // One replica applied them all; the others, waiting on the lock, found none pending.
      expect(applied.flat().sort()).toEqual(expected);
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);

      const { db } = connections[0]!;
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
      expect(rows.map((row) => row.name).sort()).toEqual(expected);
      // The schema is whole: the token change counter's single row, not one per replica.
      const counter = await sql<{ n: string }>`select count(*) as n from token_changes`.execute(db);
      expect(Number(counter.rows[0]!.n)).toBe(1);
    } finally {
      await Promise.all(connections.map(({ db }) => db.destroy()));
    }
  });
});
