/**
 * The admin console's reads over HTTP, on a real SQLite file: the ledger paged and filtered (a
 * request id found for support), the audit log filtered and paged, one token's usage (a budget's
 * burn-down), each model's error rate and latency, and the system's status without a secret.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry, LedgerPage, ModelHealth, SystemStatus } from "../wire.ts";
import { api, type ErrorBody } from "../test/api.ts";
import { storeWithBackups } from "../test/backup-rig.ts";
import { startTestServer, TestClock, type TestServer } from "../test/harness.ts";
import type { UsageRow } from "../store/usage-repository.ts";

let server: TestServer;
let admin: { id: string; token: string };
let alice: { id: string; token: string };
let bob: { id: string; token: string };

function ledgerRow(overrides: Partial<UsageRow> & Pick<UsageRow, "created_at">): UsageRow {
  return {
    id: randomUUID(),
    token_id: alice.id,
    request_id: `req_${randomUUID()}`,
    provider: "openai",
    model: "gpt-x",
    key_label: null,
    input_tokens: 1000,
    output_tokens: 100,
    cost_nano_usd: 87_750,
    cached: 0,
    latency_ms: 100,
    status: "ok",
    error_code: null,
    ...overrides,
  };
}

const get = <T>(path: string, token = admin.token) => api<T>(server, token, "GET", path);

beforeAll(async () => {
  server = await startTestServer({
    clock: new TestClock("2026-11-25T12:00:00.000Z"),
    env: {
      AUTH_FAILURES_PER_MINUTE: "100000",
      RATE_LIMIT_RPM: "100000",
      ADMIN_PAGE_MAX_ROWS: "50",
    },
  });
  admin = await server.token({ name: "Ops", scopes: ["admin"] });
  alice = await server.token({ name: "Alice" });
  bob = await server.token({ name: "Bob" });
  const rows: UsageRow[] = [];
  // 120 calls by Alice over five hours today, one in ten failed; 5 by Bob, cached.
  for (let i = 0; i < 120; i++) {
    rows.push(
      ledgerRow({
        created_at: new Date(Date.parse("2026-11-25T07:00:00.000Z") + i * 150_000).toISOString(),
        latency_ms: 100 + i,
        ...(i % 10 === 0 ? { status: "error", error_code: "upstream_error" } : {}),
      }),
    );
  }
  for (let i = 0; i < 5; i++) {
    rows.push(
      ledgerRow({
        token_id: bob.id,
        model: "claude-x",
        provider: "anthropic",
        cached: 1,
        cost_nano_usd: 0,
        latency_ms: 1,
        created_at: `2026-11-2${i + 1}T10:00:00.000Z`,
      }),
    );
  }
  await server.store.usage.insertMany(rows);
});

afterAll(() => server.close());

describe("GET /api/v1/admin/requests", () => {
  it("pages the whole ledger newest first, every row once, each page within the limit", async () => {
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const reply = await get<LedgerPage>(`/api/v1/admin/requests?limit=40${query}`);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.rows.length).toBeLessThanOrEqual(40);
      seen.push(...reply.body.rows.map((row) => row.createdAt + row.id));
      cursor = reply.body.nextCursor;
      pages++;
    }
    expect(pages).toBe(4);
    expect(seen).toHaveLength(125);
    expect(new Set(seen).size).toBe(125);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it("finds one call by its request id, with the token's name and the cost in USD", async () => {
    const [row] = await server.store.usage.list({ tokenId: alice.id, status: "ok" }, 1);
    const reply = await get<LedgerPage>(`/api/v1/admin/requests?requestId=${row!.request_id}`);
    expect(reply.body.rows).toEqual([
      expect.objectContaining({
        requestId: row!.request_id,
        tokenId: alice.id,
        tokenName: "Alice",
        costUsd: 0.00008775,
        cached: false,
        status: "ok",
      }),
    ]);
    expect(reply.body.nextCursor).toBeNull();
  });

  it("narrows by token, model, status, cached and time together", async () => {
    const failed = await get<LedgerPage>(
      `/api/v1/admin/requests?tokenId=${alice.id}&status=error&model=gpt-x&limit=50`,
    );
    expect(failed.body.rows).toHaveLength(12);
    expect(failed.body.rows.every((row) => row.errorCode === "upstream_error")).toBe(true);
    const cached = await get<LedgerPage>(
      "/api/v1/admin/requests?cached=true&since=2026-11-22T00:00:00Z&until=2026-11-24T00:00:00Z",
    );
    expect(cached.body.rows.map((row) => row.createdAt)).toEqual([
      "2026-11-23T10:00:00.000Z",
      "2026-11-22T10:00:00.000Z",
    ]);
  });

  it("refuses a limit above ADMIN_PAGE_MAX_ROWS, a forged cursor and an unknown filter with 400", async () => {
    for (const query of ["limit=51", "cursor=bm9wZQ", "status=maybe", "colour=red"]) {
      const reply = await get<ErrorBody>(`/api/v1/admin/requests?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.error.code).toBe("invalid_request");
    }
  });

  it("is for admin tokens only", async () => {
    expect((await get("/api/v1/admin/requests", alice.token)).status).toBe(403);
  });
});

describe("GET /api/v1/admin/audit, filtered and paged", () => {
  it("filters by action and subject and pages with the cursor", async () => {
    for (const name of ["a", "b", "c"]) {
      const reply = await api(server, admin.token, "POST", "/api/v1/admin/tokens", { name });
      expect(reply.status).toBe(201);
    }
    await api(server, admin.token, "PATCH", `/api/v1/admin/tokens/${bob.id}`, { budgetUsd: 5 });
    const first = await get<{ entries: AuditEntry[]; nextCursor: string | null }>(
      "/api/v1/admin/audit?action=token.created&limit=2",
    );
    expect(first.body.entries.map((entry) => entry.action)).toEqual([
      "token.created",
      "token.created",
    ]);
    const rest = await get<{ entries: AuditEntry[]; nextCursor: string | null }>(
      `/api/v1/admin/audit?action=token.created&limit=50&cursor=${first.body.nextCursor}`,
    );
    // a, b, c here, and the three tokens the harness created through the service.
    expect(first.body.entries.length + rest.body.entries.length).toBe(
      (await server.store.audit.list(100)).filter((e) => e.action === "token.created").length,
    );
    expect(rest.body.nextCursor).toBeNull();
    const bobs = await get<{ entries: AuditEntry[] }>(
      `/api/v1/admin/audit?subject=${bob.id}&action=token.updated`,
    );
    expect(bobs.body.entries).toHaveLength(1);
    expect(bobs.body.entries[0]!.actorTokenId).toBe(admin.id);
  });
});

describe("GET /api/v1/admin/usage?tokenId", () => {
  it("answers one token's days, for its budget's burn-down", async () => {
    const reply = await get<{ totals: { calls: number }; byToken: { tokenId: string }[] }>(
      `/api/v1/admin/usage?tokenId=${bob.id}&from=2026-11-01`,
    );
    expect(reply.body.totals.calls).toBe(5);
    expect(reply.body.byToken.map((entry) => entry.tokenId)).toEqual([bob.id]);
  });
});

describe("GET /api/v1/admin/models", () => {
  it("lists the catalog, and gives each model's error rate and the latency of calls that reached the provider", async () => {
    const reply = await get<ModelHealth>("/api/v1/admin/models?hours=24");
    expect(reply.status, reply.text).toBe(200);
    const gpt = reply.body.health.find((model) => model.model === "gpt-x")!;
    expect(gpt).toMatchObject({ calls: 120, failedCalls: 12, errorRate: 0.1, maxLatencyMs: 219 });
    expect(gpt.averageLatencyMs).toBeCloseTo(159.5, 5);
    // Bob's cached calls: only today's lies in the last 24 hours, and no latency counts.
    const claude = reply.body.health.find((model) => model.model === "claude-x")!;
    expect(claude).toMatchObject({ calls: 1, cachedCalls: 1, averageLatencyMs: null });
    // The catalog of what is offered: the demo's models here, with prices and context sizes.
    expect(reply.body.models.length).toBeGreaterThan(0);
    expect(reply.body.models[0]).toHaveProperty("contextWindow");
    expect((await get("/api/v1/admin/models?hours=0")).status).toBe(400);
  });
});

describe("GET /api/v1/admin/system", () => {
  it("names the version, store, cache and providers, and no secret", async () => {
    await api(server, alice.token, "POST", "/api/v1/completions", {
      prompt: "Cache me",
      temperature: 0,
    });
    const reply = await get<SystemStatus>("/api/v1/admin/system");
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({
      store: { dialect: "sqlite", status: "ok" },
      redis: { configured: false, status: null },
      cache: { kind: "memory", entries: 1 },
      queues: { budgetReservations: 0 },
      demoOnly: true,
    });
    expect(reply.body.cache!.bytes).toBeGreaterThan(0);
    expect(reply.text).not.toContain(server.config.databaseUrl);
    // No scheduled backups on this server (BACKUP_DIR unset).
    expect(reply.body.lastBackup).toBeNull();
  });
});

describe("GET /api/v1/admin/system with scheduled backups", () => {
  it("gives the newest verified backup's time", async () => {
    const withBackups = await startTestServer({
      backups: {
        lastGoodAt: () => new Date("2026-11-25T03:00:00.000Z"),
        backupNow: () => Promise.reject(new Error("no backup is taken in this test")),
      },
    });
    try {
      const ops = await withBackups.token({ name: "Ops", scopes: ["admin"] });
      const reply = await api<SystemStatus>(withBackups, ops.token, "GET", "/api/v1/admin/system");
      expect(reply.body.lastBackup).toBe("2026-11-25T03:00:00.000Z");
    } finally {
      await withBackups.close();
    }
  });
});

describe("the admin console's reads with a provider configured", () => {
  it("name the provider and its models, never its key or its address", async () => {
    const key = "sk-never-shown-3f9a2c7e1b";
    const baseUrl = "http://127.0.0.1:9/never-shown";
    const configured = await startTestServer({
      env: { OPENAI_API_KEY: key, OPENAI_BASE_URL: baseUrl },
    });
    try {
      const ops = await configured.token({ name: "Ops", scopes: ["admin"] });
      const system = await api<SystemStatus>(configured, ops.token, "GET", "/api/v1/admin/system");
      expect(system.status, system.text).toBe(200);
      expect(system.body.providers.map((provider) => provider.name)).toContain("openai");
      const models = await api<ModelHealth>(configured, ops.token, "GET", "/api/v1/admin/models");
      expect(models.body.models.some((model) => model.provider === "openai")).toBe(true);
      for (const text of [system.text, models.text]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain("never-shown");
      }
    } finally {
      await configured.close();
    }
  });
});

describe("POST /api/v1/admin/backups", () => {
  it("says backups are off without BACKUP_DIR", async () => {
    const reply = await api<ErrorBody>(server, admin.token, "POST", "/api/v1/admin/backups");
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe("conflict");
    expect(reply.body.error.message).toContain("BACKUP_DIR");
    expect((await get<SystemStatus>("/api/v1/admin/system")).body.backupsEnabled).toBe(false);
    const denied = await api<ErrorBody>(server, alice.token, "POST", "/api/v1/admin/backups");
    expect(denied.status).toBe(403);
  });

  it("takes a checked backup at once, one at a time, and audits who asked", async () => {
    const { dir, store, schedule } = await storeWithBackups("officellm-backup-now-");
    const withBackups = await startTestServer({ store, backups: schedule });
    try {
      const ops = await withBackups.token({ name: "Ops", scopes: ["admin"] });
      const before = await api<SystemStatus>(withBackups, ops.token, "GET", "/api/v1/admin/system");
      expect(before.body).toMatchObject({ backupsEnabled: true, lastBackup: null });

      // Two at once: one backup, both answered with it.
      const [first, second] = await Promise.all([
        api<{ at: string; tokens: number }>(
          withBackups,
          ops.token,
          "POST",
          "/api/v1/admin/backups",
        ),
        api<{ at: string; tokens: number }>(
          withBackups,
          ops.token,
          "POST",
          "/api/v1/admin/backups",
        ),
      ]);
      expect(first.status, first.text).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(first.body.tokens).toBe(1);
      expect(readdirSync(join(dir, "backups"))).toEqual([
        `officellm-on-demand-${first.body.at.replace(/[:.]/g, "-")}.db`,
      ]);
      const after = await api<SystemStatus>(withBackups, ops.token, "GET", "/api/v1/admin/system");
      expect(after.body.lastBackup).toBe(first.body.at);
      const audit = await api<{ entries: AuditEntry[] }>(
        withBackups,
        ops.token,
        "GET",
        "/api/v1/admin/audit?action=backup.taken",
      );
      expect(audit.body.entries.map((entry) => entry.actorTokenId)).toEqual([ops.id, ops.id]);
    } finally {
      await schedule.stop();
      await withBackups.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
