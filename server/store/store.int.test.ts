import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { backends, type Backend, type FreshDatabase } from "../test/backends.ts";
import { connect, createMigrator, migrateToLatest, type Dialect } from "./database.ts";
import { migrationProvider } from "./migrations.ts";
import { openStore, type Store } from "./store.ts";
import type { TokenRow } from "./token-repository.ts";
import type { UsageRow } from "./usage-repository.ts";

// Stores are closed (and databases removed) after each test, whatever the test did.
let openStores: Store[] = [];
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const store of openStores) await store.close().catch(() => undefined);
  for (const cleanup of cleanups) await cleanup();
  openStores = [];
  cleanups = [];
});

async function freshDatabase(backend: Backend): Promise<FreshDatabase> {
  const database = await backend.fresh();
  cleanups.push(database.cleanup);
  return database;
}

async function open(url: string): Promise<Store> {
  const store = await openStore(url);
  openStores.push(store);
  return store;
}

async function closeStore(store: Store): Promise<void> {
  openStores = openStores.filter((s) => s !== store);
  await store.close();
}

/** Names of the tables in the store's own database (PostgreSQL: its current schema). */
async function tableNames(store: Store): Promise<string[]> {
  if (store.dialect === "sqlite") {
    const { rows } = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
      store.db,
    );
    return rows.map((row) => row.name).sort();
  }
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema()`.execute(store.db);
  return rows.map((row) => row.name).sort();
}

async function appliedMigrations(store: Store): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select name from kysely_migration order by name`.execute(store.db);
  return rows.map((row) => row.name);
}

function tokenRow(overrides: Partial<TokenRow> = {}): TokenRow {
  const id = overrides.id ?? `tok_${randomUUID()}`;
  return {
    id,
    name: "alice",
    prefix: "ollm_AbC1234",
    secret_hash: `hash-${id}`,
    previous_secret_hash: null,
    previous_expires_at: null,
    scopes: "llm,calendar",
    rpm: 30,
    budget_usd: 12.5,
    expires_at: "2027-01-01T00:00:00.000Z",
    revoked_at: null,
    last_used_at: null,
    created_at: "2026-11-25T12:00:00.000Z",
    ...overrides,
  };
}

function usageRow(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    id: `use_${randomUUID()}`,
    token_id: "tok_a",
    request_id: `req_${randomUUID()}`,
    provider: "demo",
    model: "demo-small",
    key_label: null,
    input_tokens: 12,
    output_tokens: 34,
    cost_nano_usd: 1_000_000,
    cached: 0,
    latency_ms: 56,
    status: "ok",
    error_code: null,
    created_at: "2026-11-10T08:00:00.000Z",
    ...overrides,
  };
}

/** The tables this suite's repositories use, and the migrator's own. */
const EXPECTED_TABLES = [
  "audit_log",
  "kysely_migration",
  "kysely_migration_lock",
  "tokens",
  "usage",
];

/** Every migration the code ships, in the order they apply. */
async function shippedMigrations(dialect: Dialect): Promise<string[]> {
  return Object.keys(await migrationProvider(dialect).getMigrations()).sort();
}

for (const backend of backends) {
  describe.runIf(backend.enabled)(`store on ${backend.dialect}`, () => {
    describe("migrations", () => {
      it("create every table in an empty database", async () => {
        const database = await freshDatabase(backend);
        const store = await open(database.url);
        expect(store.dialect).toBe(backend.dialect);
        if (database.schema) {
          // The store works in the test's own schema, not in `public`.
          const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
            store.db,
          );
          expect(rows[0]?.schema).toBe(database.schema);
        }
        expect(await tableNames(store)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
        const shipped = await shippedMigrations(backend.dialect);
        expect(shipped[0]).toBe("0001_tokens_usage_audit");
        expect(await appliedMigrations(store)).toEqual(shipped);
        expect(await store.tokens.count()).toBe(0);
        expect(await store.usage.listForToken("tok_a")).toEqual([]);
        expect(await store.audit.list()).toEqual([]);
      });

      it("are idempotent: opening the same database again keeps its rows", async () => {
        const database = await freshDatabase(backend);
        const first = await open(database.url);
        const token = tokenRow();
        await first.tokens.insert(token);
        await first.usage.record(usageRow({ token_id: token.id, cost_nano_usd: 250_000_000 }));
        await first.audit.record({
          actorTokenId: null,
          action: "token.created",
          subject: token.id,
          detail: { name: token.name },
          createdAt: "2026-11-25T12:00:00.000Z",
        });

        const tablesBefore = await tableNames(first);
        await closeStore(first);

        const second = await open(database.url);
        expect(await migrateToLatest(second.db, second.dialect)).toEqual([]);
        expect(await appliedMigrations(second)).toEqual(await shippedMigrations(backend.dialect));
        expect(await tableNames(second)).toEqual(tablesBefore);
        expect(await second.tokens.findById(token.id)).toEqual(token);
        expect(await second.usage.spendSince(token.id, "2026-01-01T00:00:00.000Z")).toBe(
          250_000_000,
        );
        expect(await second.audit.list()).toHaveLength(1);
      });
    });

    describe("the ledger's costs in nano-dollars (0006)", () => {
      it("turn the USD fractions of rows written before into the exact amounts they stood for", async () => {
        const database = await freshDatabase(backend);
        const { db } = connect(database.url);
        const before = await createMigrator(db, backend.dialect);
        expect((await before.migrateTo("0005_consent_browser")).error).toBeUndefined();
        // What the ledger wrote: binary fractions a hair below or above the amounts meant.
        const written = [
          0.00008774999999999999,
          (1 * 0.15 + 2 * 0.6) / 1e6,
          (1 * 0.4 + 2 * 1.6) / 1e6,
          100,
        ];
        expect(written.map(String)).toEqual([
          "0.00008774999999999999",
          "0.0000013499999999999998",
          "0.0000036000000000000003",
          "100",
        ]);
        for (const [index, cost] of written.entries()) {
          await sql`insert into usage (id, token_id, request_id, provider, model, input_tokens,
            output_tokens, cost_usd, cached, latency_ms, status, error_code, created_at)
            values (${`old-${index}`}, 'tok_old', 'req', 'openai', 'gpt-5-mini', 1, 1, ${cost},
            0, 1, 'ok', null, ${`2026-11-0${index + 1}T00:00:00.000Z`})`.execute(db);
        }
        await db.destroy();

        const store = await open(database.url);
        const rows = await store.usage.listForToken("tok_old");
        expect(rows.map((row) => row.cost_nano_usd)).toEqual([
          87_750, 1_350, 3_600, 100_000_000_000,
        ]);
        expect(rows[0]).not.toHaveProperty("cost_usd");
        expect(await store.usage.spendSince("tok_old", "2026-11-01T00:00:00.000Z")).toBe(
          100_000_092_700,
        );
      });
    });

    describe("TokenRepository", () => {
      it("inserts a token and finds it by id with every column as written", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const token = tokenRow({ rpm: 17, budget_usd: 3.75 });
        await store.tokens.insert(token);
        const found = await store.tokens.findById(token.id);
        expect(found).toEqual(token);
        expect(typeof found!.rpm).toBe("number");
        expect(typeof found!.budget_usd).toBe("number");
        expect(await store.tokens.findById("tok_missing")).toBeUndefined();
      });

      it("keeps nullable limits null", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const token = tokenRow({ rpm: null, budget_usd: null, expires_at: null });
        await store.tokens.insert(token);
        expect(await store.tokens.findById(token.id)).toEqual(token);
      });

      it("refuses a second token with the same secret hash", async () => {
        const store = await open((await freshDatabase(backend)).url);
        await store.tokens.insert(tokenRow({ secret_hash: "same" }));
        await expect(store.tokens.insert(tokenRow({ secret_hash: "same" }))).rejects.toThrow();
        expect(await store.tokens.count()).toBe(1);
      });

      it("finds a token by its current and by its previous secret hash", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const token = tokenRow({
          secret_hash: "hash-current",
          previous_secret_hash: "hash-previous",
          previous_expires_at: "2026-11-26T12:00:00.000Z",
        });
        await store.tokens.insert(token);
        await store.tokens.insert(tokenRow({ secret_hash: "hash-other" }));
        expect((await store.tokens.findBySecretHash("hash-current"))?.id).toBe(token.id);
        expect((await store.tokens.findBySecretHash("hash-previous"))?.id).toBe(token.id);
        expect(await store.tokens.findBySecretHash("hash-unknown")).toBeUndefined();
      });

      it("lists tokens oldest first and counts them", async () => {
        const store = await open((await freshDatabase(backend)).url);
        expect(await store.tokens.count()).toBe(0);
        const newest = tokenRow({ id: "tok_c", created_at: "2026-11-27T00:00:00.000Z" });
        const oldest = tokenRow({ id: "tok_a", created_at: "2026-11-01T00:00:00.000Z" });
        const middle = tokenRow({ id: "tok_b", created_at: "2026-11-15T00:00:00.000Z" });
        for (const row of [newest, oldest, middle]) await store.tokens.insert(row);
        expect((await store.tokens.list()).map((row) => row.id)).toEqual([
          "tok_a",
          "tok_b",
          "tok_c",
        ]);
        const count = await store.tokens.count();
        expect(count).toBe(3);
        expect(typeof count).toBe("number");
      });

      it("updates only the columns patched, on only the token named", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const token = tokenRow();
        const other = tokenRow();
        await store.tokens.insert(token);
        await store.tokens.insert(other);
        await store.tokens.update(token.id, {
          secret_hash: "hash-rotated",
          previous_secret_hash: token.secret_hash,
          previous_expires_at: "2026-11-26T12:00:00.000Z",
          revoked_at: "2026-11-25T13:00:00.000Z",
          rpm: 5,
        });
        expect(await store.tokens.findById(token.id)).toEqual({
          ...token,
          secret_hash: "hash-rotated",
          previous_secret_hash: token.secret_hash,
          previous_expires_at: "2026-11-26T12:00:00.000Z",
          revoked_at: "2026-11-25T13:00:00.000Z",
          rpm: 5,
        });
        expect(await store.tokens.findById(other.id)).toEqual(other);
        expect((await store.tokens.findBySecretHash(token.secret_hash))?.id).toBe(token.id);
        expect((await store.tokens.findBySecretHash("hash-rotated"))?.id).toBe(token.id);
      });
    });

    describe("UsageRepository", () => {
      const since = "2026-11-01T00:00:00.000Z";

      it("sums a token's spend in nano-dollars at or after a time, exactly, as a number", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const at = (cost_nano_usd: number, created_at: string) =>
          usageRow({ token_id: "tok_a", cost_nano_usd, created_at });
        const rows = [
          at(100_000_000_000, "2026-10-31T23:59:59.999Z"),
          at(100_000_000, since),
          at(200_000_000, "2026-11-15T10:00:00.000Z"),
          at(1_250_000_000, "2026-11-20T10:00:00.000Z"),
          at(123_000, "2026-11-21T10:00:00.000Z"),
          usageRow({
            token_id: "tok_b",
            cost_nano_usd: 50_000_000_000,
            created_at: "2026-11-20T10:00:00.000Z",
          }),
        ];
        for (const row of rows) await store.usage.record(row);

        const spend = await store.usage.spendSince("tok_a", since);
        expect(typeof spend).toBe("number");
        expect(spend).toBe(1_550_123_000);

        const other = await store.usage.spendSince("tok_b", since);
        expect(typeof other).toBe("number");
        expect(other).toBe(50_000_000_000);

        expect(await store.usage.spendSince("tok_a", "2026-10-01T00:00:00.000Z")).toBe(
          101_550_123_000,
        );
      });

      it("counts no spend as 0, not null", async () => {
        const store = await open((await freshDatabase(backend)).url);
        await store.usage.record(
          usageRow({ token_id: "tok_a", created_at: "2026-10-01T00:00:00Z" }),
        );
        const none = await store.usage.spendSince("tok_a", since);
        expect(none).toBe(0);
        expect(await store.usage.spendSince("tok_nobody", since)).toBe(0);
      });

      it("lists a token's calls oldest first with every column as written", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const late = usageRow({
          token_id: "tok_a",
          created_at: "2026-11-20T00:00:00.000Z",
          cached: 1,
          status: "error",
          error_code: "upstream_timeout",
          cost_nano_usd: 0,
        });
        const early = usageRow({ token_id: "tok_a", created_at: "2026-11-02T00:00:00.000Z" });
        const foreign = usageRow({ token_id: "tok_b", created_at: "2026-11-10T00:00:00.000Z" });
        for (const row of [late, foreign, early]) await store.usage.record(row);
        expect(await store.usage.listForToken("tok_a")).toEqual([early, late]);
        expect(await store.usage.listForToken("tok_b")).toEqual([foreign]);
        expect(await store.usage.listForToken("tok_nobody")).toEqual([]);
      });
    });

    describe("AuditRepository", () => {
      it("lists entries newest first with their detail parsed back", async () => {
        const store = await open((await freshDatabase(backend)).url);
        const entries = [
          {
            actorTokenId: null,
            action: "token.created" as const,
            subject: "tok_a",
            detail: { name: "alice", scopes: "llm,calendar" },
            createdAt: "2026-11-25T12:00:00.000Z",
          },
          {
            actorTokenId: "tok_admin",
            action: "token.revoked" as const,
            subject: "tok_a",
            detail: {},
            createdAt: "2026-11-25T14:00:00.000Z",
          },
          {
            actorTokenId: "tok_admin",
            action: "token.rotated" as const,
            subject: "tok_a",
            detail: { graceMs: 86_400_000, nested: { list: [1, "two", null], flag: true } },
            createdAt: "2026-11-25T13:00:00.000Z",
          },
        ];
        for (const entry of entries) await store.audit.record(entry);

        const listed = await store.audit.list();
        expect(listed.map(({ id: _id, ...rest }) => rest)).toEqual([
          entries[1],
          entries[2],
          entries[0],
        ]);
        for (const entry of listed) expect(entry.id).toEqual(expect.any(String));
        expect(new Set(listed.map((entry) => entry.id)).size).toBe(3);

        const limited = await store.audit.list(2);
        expect(limited.map((entry) => entry.action)).toEqual(["token.revoked", "token.rotated"]);
      });
    });

    describe("lifecycle", () => {
      it("answers ping while open and refuses work once closed", async () => {
        const store = await open((await freshDatabase(backend)).url);
        await expect(store.ping()).resolves.toBeUndefined();
        await closeStore(store);
        await expect(store.ping()).rejects.toThrow();
        await expect(store.tokens.count()).rejects.toThrow();
      });
    });

    if (backend.dialect === "postgres") {
      it("lets two instances migrate the same empty database at once", async () => {
        const database = await freshDatabase(backend);
        const [a, b] = await Promise.all([open(database.url), open(database.url)]);
        expect(await appliedMigrations(a)).toEqual(await shippedMigrations(backend.dialect));
        expect(await appliedMigrations(b)).toEqual(await shippedMigrations(backend.dialect));
        await a.tokens.insert(tokenRow({ id: "tok_shared" }));
        expect((await b.tokens.findById("tok_shared"))?.id).toBe("tok_shared");
      });

      it("migrates its own schema while another schema of the database holds OfficeLLM's tables", async () => {
        await open((await freshDatabase(backend)).url);
        const store = await open((await freshDatabase(backend)).url);
        expect(await appliedMigrations(store)).toEqual(await shippedMigrations(backend.dialect));
        expect(await tableNames(store)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
      });

      it("refuses backup and points at pg_dump", async () => {
        const store = await open((await freshDatabase(backend)).url);
        await expect(store.backup(join(tmpdir(), "never-written.db"))).rejects.toThrow(/pg_dump/);
        expect(existsSync(join(tmpdir(), "never-written.db"))).toBe(false);
      });
    }

    if (backend.dialect === "sqlite") {
      describe("SQLite file", () => {
        it("creates the database's directory on demand", async () => {
          const { dir } = await freshDatabase(backend);
          const nested = join(dir!, "a", "b");
          expect(existsSync(nested)).toBe(false);
          const store = await open(`sqlite:${join(nested, "c.db")}`);
          expect(existsSync(join(nested, "c.db"))).toBe(true);
          await store.tokens.insert(tokenRow({ id: "tok_nested" }));
          expect(await store.tokens.count()).toBe(1);
        });

        it("is in WAL mode", async () => {
          const { url, file } = await freshDatabase(backend);
          const store = await open(url);
          const { rows } = await sql<{
            journal_mode: string;
          }>`pragma journal_mode`.execute(store.db);
          expect(rows[0]?.journal_mode).toBe("wal");
          // WAL is a property of the file: another connection sees it too.
          const other = new BetterSqlite3(file!, { readonly: true });
          try {
            expect(other.pragma("journal_mode", { simple: true })).toBe("wal");
          } finally {
            other.close();
          }
        });

        it("backs up a consistent copy while another connection writes", async () => {
          const { url, file, dir } = await freshDatabase(backend);
          const store = await open(url);
          const SEEDED_TOKENS = 50;
          const SEEDED_AUDIT = 3000;
          for (let i = 0; i < SEEDED_TOKENS; i++) {
            await store.tokens.insert(tokenRow({ id: `tok_seed_${String(i).padStart(4, "0")}` }));
          }
          // Enough pages that the backup takes several steps.
          for (let start = 0; start < SEEDED_AUDIT; start += 250) {
            await store.db
              .insertInto("audit_log")
              .values(
                Array.from({ length: 250 }, (_, i) => ({
                  id: `aud_${start + i}`,
                  actor_token_id: null,
                  action: "token.created",
                  subject: `tok_seed_${start + i}`,
                  detail: JSON.stringify({ padding: "x".repeat(400), n: start + i }),
                  created_at: new Date(Date.UTC(2026, 10, 1) + start + i).toISOString(),
                })),
              )
              .execute();
          }

          const writer = new BetterSqlite3(file!);
          writer.pragma("busy_timeout = 5000");
          const insert = writer.prepare(
            `insert into tokens (id, name, prefix, secret_hash, scopes, created_at)
             values (?, 'writer', 'ollm_W', ?, 'llm', '2026-11-26T00:00:00.000Z')`,
          );
          const backupPath = join(dir!, "backups", "copy.db");
          let backupDone = false;
          let writesDuringBackup = 0;
          const WRITES = 200;
          const writing = (async () => {
            for (let i = 0; i < WRITES; i++) {
              insert.run(`tok_w_${i}`, `hash-w-${i}`);
              if (!backupDone) writesDuringBackup++;
              await new Promise((resolve) => setImmediate(resolve));
            }
          })();
          mkdirSync(join(dir!, "backups"));
          const backingUp = store.backup(backupPath).then(() => {
            backupDone = true;
          });
          try {
            await Promise.all([writing, backingUp]);
          } finally {
            writer.close();
          }
          expect(writesDuringBackup).toBeGreaterThan(0);
          expect(await store.tokens.count()).toBe(SEEDED_TOKENS + WRITES);

          // The copy opens as a plain SQLite file, passes an integrity check and holds the rows.
          const copy = new BetterSqlite3(backupPath, { readonly: true });
          let copiedTokens: number;
          try {
            expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
            copiedTokens = (copy.prepare("select count(*) as n from tokens").get() as { n: number })
              .n;
            expect(copiedTokens).toBeGreaterThanOrEqual(SEEDED_TOKENS);
            expect(copiedTokens).toBeLessThanOrEqual(SEEDED_TOKENS + WRITES);
            expect(copy.prepare("select count(*) as n from audit_log").get()).toEqual({
              n: SEEDED_AUDIT,
            });
          } finally {
            copy.close();
          }

          // …and the app can open it as its database.
          const restored = await open(`sqlite:${backupPath}`);
          expect(await restored.tokens.count()).toBe(copiedTokens);
          expect((await restored.tokens.findById("tok_seed_0007"))?.name).toBe("alice");
          const [newest] = await restored.audit.list(1);
          expect(newest?.detail).toEqual({ padding: "x".repeat(400), n: SEEDED_AUDIT - 1 });
        });
      });
    }
  });
}
