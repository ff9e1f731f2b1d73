import { existsSync, readFileSync, rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../store/store.ts";
import type { UsageRow } from "../store/usage-repository.ts";
import { startTestServer, tempSqliteUrl, TestClock, type TestServer } from "../test/harness.ts";
import { usdToNanoUsd } from "../util/money.ts";
import { hashSecret, secretPrefix } from "./secrets.ts";

const RPM = "1000";
const json = { "content-type": "application/json" };

interface Me {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  limits: { requestsPerMinute: number; monthlyBudgetUsd: number | null };
  spend: { month: string; costUsd: number; remainingUsd: number | null };
}

/** A server over a real SQLite file whose path the test knows. */
async function serverOnFile(clock = new TestClock()) {
  const sqlite = tempSqliteUrl();
  const store = await openStore(sqlite.url);
  const server = await startTestServer({ store, clock, env: { RATE_LIMIT_RPM: RPM } });
  return {
    server,
    store,
    file: sqlite.file,
    async close() {
      await server.close();
      await store.close();
      rmSync(sqlite.dir, { recursive: true, force: true });
    },
  };
}

function status(server: TestServer, token: string) {
  return server.fetch("/api/v1/me", { token }).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  });
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

let env: Awaited<ReturnType<typeof serverOnFile>>;
let server: TestServer;
let admin: string;

beforeAll(async () => {
  env = await serverOnFile();
  server = env.server;
  admin = (await server.token({ name: "admin", scopes: ["admin", "llm"] })).token;
});
afterAll(() => env.close());

async function adminCreate(body: Record<string, unknown>) {
  const response = await server.fetch("/api/v1/admin/tokens", {
    method: "POST",
    token: admin,
    headers: json,
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; token: string };
}

async function adminRotate(id: string, graceSeconds?: number) {
  const response = await server.fetch(`/api/v1/admin/tokens/${id}/rotate`, {
    method: "POST",
    token: admin,
    headers: json,
    body: JSON.stringify(graceSeconds === undefined ? {} : { graceSeconds }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as {
    id: string;
    token: string;
    previousSecretValidUntil: string | null;
  };
}

describe("token secrets at rest and in logs", () => {
  it("never reach the database file, its WAL or the logs; hashes and prefixes may", async () => {
    const issued: string[] = [admin];
    const viaApi = await adminCreate({ name: "via-api", scopes: ["llm", "calendar"] });
    issued.push(viaApi.token);
    const viaService = await server.tokens.create({ name: "via-service", scopes: ["llm"] });
    issued.push(viaService.token);
    issued.push((await adminRotate(viaApi.id, 3600)).token);
    issued.push((await server.tokens.rotate(viaService.id, 0)).token);
    // Use every secret once, so authentication and last-used writes happen too.
    for (const secret of issued) {
      const response = await server.fetch("/api/v1/me", { token: secret });
      await response.arrayBuffer();
    }
    expect(new Set(issued).size).toBe(issued.length);

    const bytes = [env.file, `${env.file}-wal`]
      .filter((path) => existsSync(path))
      .map((path) => readFileSync(path).toString("latin1"))
      .join("\n");
    const logs = server.logs.text;
    // The search works: what is stored (hashes, prefixes, ids) and logged (token ids) is found.
    expect(bytes).toContain(hashSecret(viaApi.token));
    expect(bytes).toContain(secretPrefix(viaService.token));
    expect(bytes).toContain(viaApi.id);
    expect(logs).toContain(viaService.id);
    for (const secret of issued) {
      expect(bytes).not.toContain(secret);
      expect(bytes).not.toContain(secret.slice(12));
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(secret.slice(12));
    }
  });
});

describe("rotation", () => {
  it("keeps the old secret working during the grace period, and only then", async () => {
    const { id, token: old } = await adminCreate({ name: "rotating" });
    const rotated = await adminRotate(id, 3600);
    expect(rotated.id).toBe(id);
    expect(rotated.token).not.toBe(old);
    expect(rotated.token).toMatch(/^ollm_[A-Za-z0-9_-]{43}$/);
    expect(rotated.previousSecretValidUntil).toBe(
      new Date(server.clock.now().getTime() + 3_600_000).toISOString(),
    );
    expect(await status(server, old)).toBe(200);
    expect(await status(server, rotated.token)).toBe(200);

    server.clock.advance(3_599_000);
    expect(await status(server, old)).toBe(200);

    server.clock.advance(2000);
    const response = await server.fetch("/api/v1/me", { token: old });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
    expect(await status(server, rotated.token)).toBe(200);
  });

  it("without a grace period, stops the old secret at once", async () => {
    const { id, token: old } = await adminCreate({ name: "rotating-now" });
    expect(await status(server, old)).toBe(200);
    const rotated = await adminRotate(id);
    expect(rotated.previousSecretValidUntil).toBeNull();
    expect(await status(server, old)).toBe(401);
    expect(await status(server, rotated.token)).toBe(200);
  });

  it("through the service works the same way", async () => {
    const created = await server.tokens.create({ name: "svc", scopes: ["llm"] });
    const rotated = await server.tokens.rotate(created.id, 60_000);
    expect(await status(server, created.token)).toBe(200);
    server.clock.advance(60_001);
    expect(await status(server, created.token)).toBe(401);
    expect(await status(server, rotated.token)).toBe(200);
  });
});

describe("expiry and revocation", () => {
  it("an expiring token works until it expires, then answers 401 expired", async () => {
    const { token } = await server.token({ name: "short-lived", expiresInMs: 60_000 });
    const me = await server.fetch("/api/v1/me", { token });
    expect(me.status).toBe(200);
    expect(((await me.json()) as Me).expiresAt).toBe(
      new Date(server.clock.now().getTime() + 60_000).toISOString(),
    );
    server.clock.advance(59_000);
    expect(await status(server, token)).toBe(200);
    server.clock.advance(1001);
    const response = await server.fetch("/api/v1/me", { token });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toMatch(/expired/);
  });

  it("a token created through the API with expiresInDays expires too", async () => {
    const { token } = await adminCreate({ name: "a-day", expiresInDays: 1 });
    expect(await status(server, token)).toBe(200);
    server.clock.advance(86_400_000 + 1);
    const response = await server.fetch("/api/v1/me", { token });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toMatch(/expired/);
  });

  it("a revoked token answers 401 revoked at once", async () => {
    const { id, token } = await adminCreate({ name: "to-revoke" });
    expect(await status(server, token)).toBe(200);
    const revoke = await server.fetch(`/api/v1/admin/tokens/${id}`, {
      method: "DELETE",
      token: admin,
    });
    expect(revoke.status).toBe(200);
    const summary = (await revoke.json()) as Record<string, unknown>;
    expect(summary).toMatchObject({ id, revokedAt: server.clock.now().toISOString() });
    expect(JSON.stringify(summary)).not.toContain(token);
    const response = await server.fetch("/api/v1/me", { token });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toMatch(/revoked/);
  });

  it("rotating a revoked token does not bring it back", async () => {
    const { id, token } = await adminCreate({ name: "revoked-then-rotated" });
    await server.tokens.revoke(id);
    const response = await server.fetch(`/api/v1/admin/tokens/${id}/rotate`, {
      method: "POST",
      token: admin,
      headers: json,
      body: "{}",
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    await response.arrayBuffer();
    expect(await status(server, token)).toBe(401);
  });
});

describe("last use", () => {
  it("is recorded, at most once a minute", async () => {
    const { id, token } = await server.token({ name: "used" });
    expect((await server.store.tokens.findById(id))!.last_used_at).toBeNull();

    const first = server.clock.now().toISOString();
    expect(await status(server, token)).toBe(200);
    expect((await server.store.tokens.findById(id))!.last_used_at).toBe(first);

    server.clock.advance(30_000);
    expect(await status(server, token)).toBe(200);
    server.clock.advance(29_000);
    expect(await status(server, token)).toBe(200);
    expect((await server.store.tokens.findById(id))!.last_used_at).toBe(first);

    server.clock.advance(2000);
    const later = server.clock.now().toISOString();
    expect(await status(server, token)).toBe(200);
    expect((await server.store.tokens.findById(id))!.last_used_at).toBe(later);

    const list = await server.fetch("/api/v1/admin/tokens", { token: admin });
    const { tokens } = (await list.json()) as { tokens: { id: string; lastUsedAt: string }[] };
    expect(tokens.find((t) => t.id === id)?.lastUsedAt).toBe(later);
  });
});

describe("GET /api/v1/me", () => {
  let me: Awaited<ReturnType<typeof serverOnFile>>;
  let previousTz: string | undefined;
  beforeAll(async () => {
    me = await serverOnFile(new TestClock("2026-12-01T00:30:00.000Z"));
  });
  afterAll(() => me.close());
  afterEach(() => {
    if (previousTz === undefined) delete process.env.TZ;
    else process.env.TZ = previousTz;
  });

  let n = 0;
  function usage(tokenId: string, createdAt: string, costUsd: number): UsageRow {
    n += 1;
    return {
      id: `use_${n}`,
      token_id: tokenId,
      request_id: `req_${n}`,
      provider: "demo",
      model: "demo",
      key_label: null,
      input_tokens: 10,
      output_tokens: 20,
      cost_nano_usd: usdToNanoUsd(costUsd),
      cached: 0,
      latency_ms: 5,
      status: "ok",
      error_code: null,
      created_at: createdAt,
    };
  }

  async function getMe(token: string): Promise<Me> {
    const response = await me.server.fetch("/api/v1/me", { token });
    expect(response.status).toBe(200);
    return (await response.json()) as Me;
  }

  it("tells name, scopes, default limits and zero spend", async () => {
    const { id, token } = await me.server.token({ name: "bob", scopes: ["llm", "calendar"] });
    expect(await getMe(token)).toEqual({
      id,
      name: "bob",
      scopes: ["llm", "calendar"],
      expiresAt: null,
      limits: { requestsPerMinute: Number(RPM), monthlyBudgetUsd: null },
      spend: { month: "2026-12", costUsd: 0, remainingUsd: null },
    });
  });

  it("tells the token's own limits and this UTC month's spend only", async () => {
    // A time zone behind UTC, where 2026-12-01T00:30Z is still 30 November locally.
    previousTz = process.env.TZ;
    process.env.TZ = "America/New_York";
    expect(new Date("2026-12-01T00:30:00.000Z").getMonth()).toBe(10);

    const store: Store = me.store;
    const alice = await me.server.token({ name: "alice", rpm: 7, budgetUsd: 10 });
    const other = await me.server.token({ name: "other" });
    await store.usage.record(usage(alice.id, "2026-12-01T00:00:00.000Z", 1.25));
    await store.usage.record(usage(alice.id, "2026-12-01T00:20:00.000Z", 0.5));
    await store.usage.record(usage(alice.id, "2026-11-30T23:59:59.999Z", 100));
    await store.usage.record(usage(alice.id, "2026-11-15T12:00:00.000Z", 3));
    await store.usage.record(usage(other.id, "2026-12-01T00:10:00.000Z", 40));

    const body = await getMe(alice.token);
    expect(body).toMatchObject({
      id: alice.id,
      name: "alice",
      scopes: ["llm"],
      limits: { requestsPerMinute: 7, monthlyBudgetUsd: 10 },
      spend: { month: "2026-12" },
    });
    expect(body.spend.costUsd).toBe(1.75);
    expect(body.spend.remainingUsd).toBe(8.25);
  });

  it("never shows a negative remainder once the budget is spent", async () => {
    const carol = await me.server.token({ name: "carol", budgetUsd: 1 });
    await me.store.usage.record(usage(carol.id, "2026-12-01T00:05:00.000Z", 2.5));
    const body = await getMe(carol.token);
    expect(body.spend.costUsd).toBe(2.5);
    expect(body.spend.remainingUsd).toBe(0);
  });
});
