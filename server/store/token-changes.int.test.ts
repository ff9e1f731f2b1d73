/**
 * The token change counter (migration 0004, token-changes.ts) on each backend: which writes move
 * it, and how quickly an instance following it sees another process's change, on PostgreSQL
 * with its notifications and without them.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenService } from "../auth/token-service.ts";
import { systemClock } from "../clock.ts";
import { createLogger } from "../logger.ts";
import { backends } from "../test/backends.ts";
import { LogCapture } from "../test/harness.ts";
import { openStore, type Store } from "./store.ts";
import { TOKEN_CHANGES_LISTENER, TOKEN_CHANGES_POLL_MS } from "./token-changes-postgres.ts";
import type { TokenChanges } from "./token-changes.ts";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const logs = new LogCapture();
const logger = createLogger({ log: { level: "info", format: "json" } }, logs);

/** A token written through `store`, as the command line writes one. */
async function tokenIn(store: Store): Promise<{ id: string }> {
  return new TokenService(store, systemClock).create({ name: "alice", scopes: ["llm"] });
}

async function counter(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom("token_changes")
    .select("generation")
    .executeTakeFirstOrThrow();
  return row.generation;
}

for (const backend of backends.filter((b) => b.enabled)) {
  describe(`the token change counter on ${backend.dialect}`, () => {
    /** Two stores over one fresh database, as two processes would open it. */
    async function twoStores(): Promise<[Store, Store]> {
      const database = await backend.fresh();
      cleanups.push(database.cleanup);
      const stores = [await openStore(database.url), await openStore(database.url)] as const;
      for (const store of stores) cleanups.push(() => store.close());
      return [...stores];
    }

    async function watch(store: Store): Promise<TokenChanges> {
      const changes = await store.watchTokenChanges(logger);
      cleanups.push(() => changes.close());
      return changes;
    }

    it("moves on a change to any column of a token but its last use, and on a deletion", async () => {
      const [store] = await twoStores();
      const token = await tokenIn(store);
      const columns = (await store.db.introspection.getTables())
        .find((table) => table.name === "tokens")!
        .columns.map((column) => column.name);
      expect(columns).toContain("revoked_at");

      for (const column of columns) {
        const before = await counter(store);
        await sql`update tokens set ${sql.ref(column)} = ${sql.ref(column)} where id = ${token.id}`.execute(
          store.db,
        );
        expect({ column, moved: (await counter(store)) - before }).toEqual({
          column,
          moved: column === "last_used_at" ? 0 : 1,
        });
      }
      const before = await counter(store);
      await store.tokens.update(token.id, { last_used_at: "2026-11-25T12:01:00.000Z" });
      expect(await counter(store)).toBe(before);
      await sql`delete from tokens where id = ${token.id}`.execute(store.db);
      expect(await counter(store)).toBe(before + 1);
    });

    it("is seen by a watching instance when another process revokes a token", async () => {
      const [server, cli] = await twoStores();
      const changes = await watch(server);
      const token = await tokenIn(cli);
      const before = changes.current();
      await cli.tokens.update(token.id, { revoked_at: "2026-11-25T12:00:00.000Z" });
      if (backend.dialect === "sqlite") expect(changes.current()).toBe(before + 1);
      // PostgreSQL's notification arrives a moment after the commit.
      else await vi.waitFor(() => expect(changes.current()).toBe(before + 1), { timeout: 1000 });
      expect(await changes.refresh()).toBe(before + 1);
    });

    if (backend.dialect === "postgres") {
      const listeners = async (store: Store) =>
        (
          await sql<{ pid: number }>`select pid from pg_stat_activity
            where application_name = ${TOKEN_CHANGES_LISTENER}`.execute(store.db)
        ).rows.map((row) => row.pid);

      it("still sees a change within 1 s when its notification is lost", async () => {
        const [server, cli] = await twoStores();
        const others = await listeners(server);
        const changes = await watch(server);
        const own = (await listeners(server)).filter((pid) => !others.includes(pid));
        expect(own).toHaveLength(1);
        const token = await tokenIn(cli);
        const before = changes.current();

        // The listening connection is cut, as a network fault or a restart of PostgreSQL would.
        await sql`select pg_terminate_backend(${own[0]!})`.execute(server.db);
        await vi.waitFor(() => expect(logs.text).toMatch(/token change notifications lost/));
        await cli.tokens.update(token.id, { revoked_at: "2026-11-25T12:00:00.000Z" });
        await vi.waitFor(() => expect(changes.current()).toBe(before + 1), {
          timeout: 1000,
          interval: 10,
        });
        // And it listens again.
        await vi.waitFor(
          async () => expect(await listeners(server)).toHaveLength(others.length + 1),
          {
            timeout: 5 * TOKEN_CHANGES_POLL_MS,
          },
        );
      });
    }
  });
}
