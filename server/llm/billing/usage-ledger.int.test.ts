/**
 * The ledger's group commit and budget reservations on each backend (SQLite always, PostgreSQL
 * when DATABASE_URL points at one): the statements are those the database really receives
 * (Kysely's log hook), and rows are read back through a second, independent connection.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../../auth/token-service.ts";
import { openStore, type Store } from "../../store/store.ts";
import { MAX_ROWS_PER_INSERT } from "../../store/usage-writer.ts";
import { backends, type FreshDatabase } from "../../test/backends.ts";
import { TestClock } from "../../test/harness.ts";
import { usdToNanoUsd } from "../../util/money.ts";
import { UsageLedger, type LedgerEntry } from "./usage-ledger.ts";

interface Statement {
  sql: string;
  parameters: readonly unknown[];
  failed: boolean;
}

function caller(budgetUsd: number | null = null): Caller {
  return {
    tokenId: `tok_${randomUUID()}`,
    name: "tester",
    scopes: ["llm"],
    rpm: null,
    budgetUsd,
    expiresAt: null,
  };
}

/** A ledger entry costing `costUsd` (in nano-dollars, as the ledger keeps it). */
function entry(costUsd = 0.01, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    provider: "openai",
    model: "gpt-x",
    keyLabel: null,
    usage: { inputTokens: 10, outputTokens: 2 },
    costNanoUsd: usdToNanoUsd(costUsd),
    cached: false,
    latencyMs: 5,
    errorCode: null,
    ...overrides,
  };
}

const COLUMNS = 14;
/** The month of TestClock's time. */
const november = "2026-11-01T00:00:00.000Z";
const now = () => new TestClock().now().toISOString();
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** The request timeout the ledger is told: its reservations last twice that. */
const REQUEST_TIMEOUT_MS = 120_000;
const upTo = (usd: number) => () => usdToNanoUsd(usd);

for (const backend of backends) {
  describe.runIf(backend.enabled)(`the usage ledger's group commit on ${backend.dialect}`, () => {
    let database: FreshDatabase;
    let store: Store;
    /** Another connection to the same database: what it reads is committed. */
    let observer: Store;
    let ledger: UsageLedger;
    const statements: Statement[] = [];

    beforeAll(async () => {
      database = await backend.fresh();
      store = await openStore(database.url, {
        log: (event) => {
          const { sql, parameters } = event.query;
          statements.push({ sql, parameters, failed: event.level === "error" });
        },
      });
      observer = await openStore(database.url);
      ledger = new UsageLedger(store, new TestClock(), REQUEST_TIMEOUT_MS);
    });
    afterAll(async () => {
      await store.close();
      await observer.close();
      await database.cleanup();
    });

    /** The INSERTs into the ledger from now on. */
    function watchInserts(): () => Statement[] {
      const from = statements.length;
      return () => statements.slice(from).filter((s) => s.sql.startsWith('insert into "usage"'));
    }

    async function committed(tokenId: string): Promise<string[]> {
      const rows = await observer.usage.listForToken(tokenId);
      return rows.map((row) => row.request_id).sort();
    }

    it("writes the rows recorded in one turn with one INSERT", async () => {
      const who = caller();
      const inserts = watchInserts();
      const ids = Array.from({ length: 50 }, (_, i) => `req-${String(i).padStart(2, "0")}`);

      await Promise.all(ids.map((id) => ledger.record(who, id, entry())));

      expect(inserts()).toHaveLength(1);
      expect(inserts()[0]!.parameters).toHaveLength(50 * COLUMNS);
      expect(await committed(who.tokenId)).toEqual(ids);
    });

    it(`writes at most ${MAX_ROWS_PER_INSERT} rows an INSERT`, async () => {
      const who = caller();
      const inserts = watchInserts();
      const count = 2 * MAX_ROWS_PER_INSERT + 88;

      await Promise.all(
        Array.from({ length: count }, (_, i) => ledger.record(who, `r${i}`, entry())),
      );

      // Concurrent on PostgreSQL, the INSERTs may finish (and be logged) in any order.
      const sizes = inserts().map((s) => s.parameters.length / COLUMNS);
      expect(sizes.sort((a, b) => b - a)).toEqual([MAX_ROWS_PER_INSERT, MAX_ROWS_PER_INSERT, 88]);
      expect(await committed(who.tokenId)).toHaveLength(count);
    });

    it("writes the rows of separate turns with separate INSERTs", async () => {
      const who = caller();
      const inserts = watchInserts();

      const first = ledger.record(who, "first", entry());
      await nextTurn();
      const second = ledger.record(who, "second", entry());
      await Promise.all([first, second]);

      expect(inserts()).toHaveLength(2);
      expect(await committed(who.tokenId)).toEqual(["first", "second"]);
    });

    it("resolves each caller only once its row can be read from another connection", async () => {
      const who = caller();
      const inserts = watchInserts();
      const ids = Array.from({ length: 20 }, (_, i) => `req-${i}`);
      const visibleOnResolve = await Promise.all(
        ids.map((id) =>
          ledger.record(who, id, entry()).then(async () => ({
            after: inserts().length,
            rows: await observer.db
              .selectFrom("usage")
              .select("id")
              .where("token_id", "=", who.tokenId)
              .where("request_id", "=", id)
              .execute(),
          })),
        ),
      );
      for (const seen of visibleOnResolve) {
        expect(seen.after).toBe(1);
        expect(seen.rows).toHaveLength(1);
      }
    });

    it("rejects exactly the callers of a failed INSERT, and writes the rows after it", async () => {
      const who = caller(100);
      const inserts = watchInserts();
      // A NOT NULL column left null makes the database refuse the whole statement.
      const failing = Promise.allSettled([
        ledger.record(who, "good-1", entry(1)),
        ledger.record(who, "bad", entry(1, { provider: null as unknown as string })),
      ]);
      await nextTurn();
      const later = Promise.allSettled([
        ledger.record(who, "good-2", entry(1)),
        ledger.record(who, "good-3", entry(1)),
      ]);

      const outcomes = [...(await failing), ...(await later)];
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        "rejected",
        "rejected",
        "fulfilled",
        "fulfilled",
      ]);
      const reasons = outcomes.slice(0, 2).map((o) => (o as PromiseRejectedResult).reason);
      expect(reasons[0]).toBe(reasons[1]);
      expect(String(reasons[0])).toMatch(/null/i);
      expect(inserts().map((s) => s.failed)).toEqual(expect.arrayContaining([true, false]));
      expect(inserts()).toHaveLength(2);
      expect(await committed(who.tokenId)).toEqual(["good-2", "good-3"]);
    });

    it("holds each call's maximum cost, and refuses a call that would go past the budget", async () => {
      const who = caller(1);
      const first = await ledger.reserve(who, upTo(0.6));
      expect(first).toEqual(expect.any(String));
      await expect(ledger.reserve(who, upTo(0.6))).rejects.toMatchObject({
        code: "budget_exceeded",
        message: expect.stringMatching(/up to \$0\.60 \(\$0\.00 spent, \$0\.60 held/),
      });
      // What is left, exactly, still fits.
      expect(await ledger.reserve(who, upTo(0.4))).toEqual(expect.any(String));
      await ledger.release(first);
      expect(await ledger.reserve(who, upTo(0.6))).toEqual(expect.any(String));
    });

    it("asks nothing of the database for a token without a budget", async () => {
      const from = statements.length;
      let asked = false;
      const held = await ledger.reserve(caller(null), () => {
        asked = true;
        return 1;
      });
      expect(held).toBeUndefined();
      expect(asked).toBe(false);
      expect(statements.slice(from)).toEqual([]);
    });

    it("swaps a reservation for its call's row", async () => {
      const who = caller(1);
      const held = await ledger.reserve(who, upTo(0.9));
      await ledger.record(who, "paid", entry(0.25), held);

      expect(await committed(who.tokenId)).toEqual(["paid"]);
      expect(await observer.reservations.standing(who.tokenId, november, now())).toEqual({
        spentNanoUsd: 250_000_000,
        heldNanoUsd: 0,
      });
      await expect(ledger.reserve(who, upTo(0.76))).rejects.toMatchObject({
        code: "budget_exceeded",
      });
      expect(await ledger.reserve(who, upTo(0.75))).toEqual(expect.any(String));
    });

    it("lets exactly the calls the budget can hold reserve, from two instances at once", async () => {
      const who = caller(0.5);
      const other = new UsageLedger(observer, new TestClock(), REQUEST_TIMEOUT_MS);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) => (i % 2 ? ledger : other).reserve(who, upTo(0.1))),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(5);
      for (const outcome of outcomes.filter((o) => o.status === "rejected"))
        expect(outcome.reason).toMatchObject({ code: "budget_exceeded" });
      expect(await observer.reservations.standing(who.tokenId, november, now())).toEqual({
        spentNanoUsd: 0,
        heldNanoUsd: 500_000_000,
      });
    });

    it("stops counting the reservation of a process that died once it expires", async () => {
      const who = caller(1);
      const clock = new TestClock();
      const dead = new UsageLedger(observer, clock, REQUEST_TIMEOUT_MS);
      await dead.reserve(who, upTo(1));
      const later = new UsageLedger(store, clock, REQUEST_TIMEOUT_MS);
      clock.advance(2 * REQUEST_TIMEOUT_MS - 1);
      await expect(later.reserve(who, upTo(0.5))).rejects.toMatchObject({
        code: "budget_exceeded",
      });
      clock.advance(1);
      expect(await later.reserve(who, upTo(0.5))).toEqual(expect.any(String));
      // The expired hold is gone from the table, not only ignored.
      const { rows } = await sql<{ held: number | string }>`
        select count(*) as held from budget_reservations where token_id = ${who.tokenId}`.execute(
        observer.db,
      );
      expect(Number(rows[0]!.held)).toBe(1);
    });

    it.runIf(backend.dialect === "postgres")(
      "counts a reservation while its row is still being written, and the row after",
      async () => {
        const who = caller(1);
        const locker = new pg.Client({ connectionString: database.url });
        await locker.connect();
        try {
          const held = await ledger.reserve(who, upTo(0.6));
          // SHARE mode holds INSERTs back and lets SELECTs through.
          await locker.query("begin; lock table usage in share mode");
          const record = ledger.record(who, "a", entry(0.5), held);
          // Wait for the ledger's INSERT to queue behind this lock: the only statement it
          // blocks, as SELECTs pass. Not by the query's text: a statement waiting for its lock
          // while it is parsed still shows its session's previous query there.
          await waitFor(async () => {
            const { rows } = await locker.query<{ waiting: string }>(
              `select count(*) as waiting from pg_stat_activity
               where pg_backend_pid() = any(pg_blocking_pids(pid))`,
            );
            return Number(rows[0]!.waiting) > 0;
          });

          expect(await observer.usage.spendSince(who.tokenId, november)).toBe(0);
          await expect(ledger.reserve(who, upTo(0.41))).rejects.toMatchObject({
            code: "budget_exceeded",
          });

          await locker.query("commit");
          await record;
          expect(await committed(who.tokenId)).toEqual(["a"]);
          await expect(ledger.reserve(who, upTo(0.51))).rejects.toMatchObject({
            code: "budget_exceeded",
          });
          expect(await ledger.reserve(who, upTo(0.5))).toEqual(expect.any(String));
        } finally {
          await locker.end();
        }
      },
    );

    it("writes the queued rows when the store closes", async () => {
      const own = await openStore(database.url);
      const who = caller();
      const ownLedger = new UsageLedger(own, new TestClock(), REQUEST_TIMEOUT_MS);
      const records = ["x", "y", "z"].map((id) => ownLedger.record(who, id, entry()));

      await own.close();

      await Promise.all(records);
      expect(await committed(who.tokenId)).toEqual(["x", "y", "z"]);
    });
  });
}

/** Polls `condition` until it holds; the guard is for a hang, generous for a loaded machine. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
