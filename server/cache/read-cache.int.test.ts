/**
 * The read cache (cached-store.ts) over real databases, through real HTTP: the reads it saves,
 * and that revocations, rotations, settings changes and expiry still apply when they should, on
 * one instance and on two instances sharing PostgreSQL (tokens through the database's token
 * change counter, with or without Redis; settings through Redis).
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { Redis } from "ioredis";
import type { LogEvent } from "kysely";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../test/api.ts";
import { backends, type FreshDatabase } from "../test/backends.ts";
import { unreachableRedis } from "../test/redis.ts";
import { createLogger } from "../logger.ts";
import {
  LogCapture,
  openCachedStore,
  startTestServer,
  TestClock,
  type TestServer,
} from "../test/harness.ts";
import { READ_CACHE_TTL_MS } from "./cached-store.ts";
import { INVALIDATION_CHANNEL } from "./invalidation.ts";

const REDIS_URL = process.env.REDIS_URL;
const env = { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" };
const postgres = backends.find((backend) => backend.dialect === "postgres")!;

/** Every statement a store runs, as its database received it. */
class Statements {
  readonly sql: string[] = [];
  readonly log = (event: LogEvent) => {
    if (event.level === "query") this.sql.push(event.query.sql);
  };
  #count(pattern: RegExp) {
    return this.sql.filter((statement) => pattern.test(statement)).length;
  }
  /** Token lookups by secret hash (authentication). */
  get tokenReads() {
    return this.#count(/^select \* from "tokens" where \("secret_hash" = /);
  }
  get settingsReads() {
    return this.#count(/^select \* from "user_settings" /);
  }
  get lastUsedWrites() {
    return this.#count(/^update "tokens" set "last_used_at" = /);
  }
}

interface Instance {
  server: TestServer;
  statements: Statements;
}

let database: FreshDatabase | undefined;
let instances: Instance[] = [];
const redisClients: Redis[] = [];

/** An app over `database`, with the read cache as main.ts builds it. */
async function instance(
  url: string,
  options: { clock?: TestClock; redisUrl?: string } = {},
): Promise<Instance> {
  const statements = new Statements();
  const clock = options.clock ?? new TestClock();
  const redis = options.redisUrl ? new Redis(options.redisUrl) : undefined;
  if (redis) {
    redis.on("error", () => undefined); // as connectRedis does; a test may cut the link
    redisClients.push(redis);
  }
  const store = await openCachedStore(url, { clock, redis, log: statements.log });
  const server = await startTestServer({ store, clock, env });
  const opened = { server, statements };
  instances.push(opened);
  return opened;
}

afterEach(async () => {
  for (const { server } of instances) {
    await server.close();
    await server.store.close();
  }
  instances = [];
  await database?.cleanup();
  database = undefined;
});

afterAll(() => {
  for (const client of redisClients) client.disconnect();
});

/** A TCP relay to Redis that can be cut, as a network fault would cut it. */
async function redisLink() {
  const target = new URL(REDIS_URL!);
  const sockets = new Set<Socket>();
  let down = false;
  const relay = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const { port } = relay.address() as AddressInfo;
  function cut() {
    down = true;
    for (const socket of sockets) socket.destroy();
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    cut,
    restore() {
      down = false;
    },
    close() {
      cut();
      return new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

async function status(server: TestServer, token: string): Promise<number> {
  const response = await server.fetch("/api/v1/me", { token });
  await response.arrayBuffer();
  return response.status;
}

function complete(server: TestServer, token: string) {
  return api<{ usage: { inputTokens: number } }>(server, token, "POST", "/api/v1/completions", {
    prompt: "What is the capital of Peru?",
  });
}

async function adminToken(server: TestServer): Promise<string> {
  return (await server.token({ name: "operator", scopes: ["admin"] })).token;
}

async function rotate(server: TestServer, admin: string, id: string, graceSeconds: number) {
  const reply = await api<{ token: string }>(
    server,
    admin,
    "POST",
    `/api/v1/admin/tokens/${id}/rotate`,
    { graceSeconds },
  );
  expect(reply.status, reply.text).toBe(200);
  return reply.body.token;
}

async function revoke(server: TestServer, admin: string, id: string) {
  const reply = await api(server, admin, "DELETE", `/api/v1/admin/tokens/${id}`);
  expect(reply.status, reply.text).toBe(200);
}

for (const backend of backends.filter((b) => b.enabled)) {
  describe(`the read cache on ${backend.dialect}`, () => {
    async function fresh(): Promise<Instance> {
      database = await backend.fresh();
      return instance(database.url);
    }

    it("reads a token and its settings once, however many calls, until the TTL passes", async () => {
      const { server, statements } = await fresh();
      const { token } = await server.token();
      await api(server, token, "PUT", "/api/v1/me/settings", { systemPrompt: "Be brief." });
      expect((await complete(server, token)).status).toBe(200);

      const reads = () => [statements.tokenReads, statements.settingsReads];
      const warm = reads();
      for (let i = 0; i < 10; i++) expect((await complete(server, token)).status).toBe(200);
      expect(reads()).toEqual(warm);

      server.clock.advance(READ_CACHE_TTL_MS + 1);
      expect((await complete(server, token)).status).toBe(200);
      expect(reads()).toEqual([warm[0]! + 1, warm[1]! + 1]);
    });

    it("refuses a revoked token at once, though its row was cached", async () => {
      const { server } = await fresh();
      const admin = await adminToken(server);
      const { id, token } = await server.token();
      expect(await status(server, token)).toBe(200);
      await revoke(server, admin, id);
      expect(await status(server, token)).toBe(401);
    });

    it("refuses the old secret at once after a rotation without grace", async () => {
      const { server } = await fresh();
      const admin = await adminToken(server);
      const { id, token } = await server.token();
      expect(await status(server, token)).toBe(200);
      const renewed = await rotate(server, admin, id, 0);
      expect(await status(server, token)).toBe(401);
      expect(await status(server, renewed)).toBe(200);
    });

    it("still ends a cached token's life and a grace period on time", async () => {
      const { server, statements } = await fresh();
      const admin = await adminToken(server);
      const expiring = await server.token({ expiresInMs: 2000 });
      const rotated = await server.token();
      const renewed = await rotate(server, admin, rotated.id, 1);
      for (const token of [expiring.token, rotated.token, renewed]) {
        expect(await status(server, token)).toBe(200);
      }
      const reads = statements.tokenReads;
      expect(READ_CACHE_TTL_MS).toBeGreaterThan(2000);

      server.clock.advance(1000);
      expect(await status(server, rotated.token)).toBe(401);
      expect(await status(server, expiring.token)).toBe(200);
      server.clock.advance(1000);
      expect(await status(server, expiring.token)).toBe(401);
      expect(await status(server, renewed)).toBe(200);
      // Refused by the clock, from the cached rows: the TTL has not passed.
      expect(statements.tokenReads).toBe(reads);
    });

    it("records last use once a minute, though the row is cached", async () => {
      const { server, statements } = await fresh();
      const { id, token } = await server.token();
      const before = statements.lastUsedWrites;
      await Promise.all(Array.from({ length: 5 }, () => status(server, token)));
      for (let i = 0; i < 5; i++) expect(await status(server, token)).toBe(200);
      expect(statements.lastUsedWrites - before).toBe(1);

      server.clock.advance(60_000);
      expect(await status(server, token)).toBe(200);
      expect(statements.lastUsedWrites - before).toBe(2);
      expect((await server.store.tokens.findById(id))!.last_used_at).toBe(
        server.clock.now().toISOString(),
      );
    });
  });
}

describe("the read cache with Redis unreachable", () => {
  it("still drops its own copies at once, and logs that the others were not told", async () => {
    const redis = unreachableRedis();
    const logs = new LogCapture();
    const clock = new TestClock();
    database = await backends[0]!.fresh();
    const store = await openCachedStore(database.url, {
      clock,
      redis,
      logger: createLogger({ log: { level: "info", format: "json" } }, logs),
    });
    const server = await startTestServer({ store, clock, env });
    instances.push({ server, statements: new Statements() });
    expect(logs.text).toMatch(/redis did not answer at start/);

    const admin = await adminToken(server);
    const { id, token } = await server.token();
    const systemPrompt = async () =>
      (await api<{ systemPrompt: string | null }>(server, token, "GET", "/api/v1/me/settings")).body
        .systemPrompt;
    expect(await systemPrompt()).toBeNull();
    await api(server, token, "PUT", "/api/v1/me/settings", { systemPrompt: "Be brief." });
    expect(await systemPrompt()).toBe("Be brief.");
    expect(logs.text).toMatch(/could not tell the other instances/);
    // Tokens never needed Redis.
    await revoke(server, admin, id);
    expect(await status(server, token)).toBe(401);
    redis.disconnect();
  });
});

describe.runIf(postgres.enabled && REDIS_URL)("two instances sharing PostgreSQL and Redis", () => {
  let a: Instance;
  let b: Instance;
  let admin: string;

  /**
   * The other instance hears of a change through Redis a moment after the change's request
   * has answered, so its effect is awaited (the guard is for a hang, generous for a loaded
   * machine); the test clock stands still, so it can only come from the message, never from the
   * TTL.
   */
  const soon = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 20_000, interval: 10 });

  /** Two instances over one fresh database; b reaches Redis through `bRedisUrl`. */
  async function pair(bRedisUrl = REDIS_URL!): Promise<void> {
    database = await postgres.fresh();
    const clock = new TestClock();
    a = await instance(database.url, { clock, redisUrl: REDIS_URL! });
    b = await instance(database.url, { clock, redisUrl: bRedisUrl });
    admin = await adminToken(a.server);
  }

  it("refuses on one a token revoked on the other, at once", async () => {
    await pair();
    const { id, token } = await a.server.token();
    expect(await status(b.server, token)).toBe(200);
    await revoke(a.server, admin, id);
    await soon(async () => expect(await status(b.server, token)).toBe(401));
  });

  it("refuses on one the old secret of a token rotated on the other without grace, at once", async () => {
    await pair();
    const { id, token } = await a.server.token();
    expect(await status(b.server, token)).toBe(200);
    const renewed = await rotate(a.server, admin, id, 0);
    await soon(async () => expect(await status(b.server, token)).toBe(401));
    expect(await status(b.server, renewed)).toBe(200);
  });

  it("applies on one the settings changed on the other, at once", async () => {
    await pair();
    const { token } = await a.server.token();
    const before = await complete(b.server, token);
    const system = "You are terse. ".repeat(20);
    await api(a.server, token, "PUT", "/api/v1/me/settings", { systemPrompt: system });

    await soon(async () => {
      const after = await complete(b.server, token);
      expect(after.body.usage.inputTokens).toBeGreaterThan(before.body.usage.inputTokens);
    });
    const settings = await api<{ systemPrompt: string }>(
      b.server,
      token,
      "GET",
      "/api/v1/me/settings",
    );
    expect(settings.body.systemPrompt).toBe(system);
  });

  it("applies settings changed while it was cut off from Redis, once it is back", async () => {
    const link = await redisLink();
    await pair(link.url);
    const { token } = await a.server.token();
    const before = await complete(b.server, token);

    link.cut();
    // b cannot hear of it
    await api(a.server, token, "PUT", "/api/v1/me/settings", {
      systemPrompt: "You are terse. ".repeat(20),
    });
    link.restore();
    // Subscribed again, b drops every copy, though their TTL is far off (the clock stands still).
    await vi.waitFor(
      async () => {
        const after = await complete(b.server, token);
        expect(after.body.usage.inputTokens).toBeGreaterThan(before.body.usage.inputTokens);
      },
      { timeout: 10_000, interval: 50 },
    );
    await link.close();
  });

  it("refuses on one a token revoked on the other while Redis is cut off, at once", async () => {
    const link = await redisLink();
    await pair(link.url);
    const { id, token } = await a.server.token();
    expect(await status(b.server, token)).toBe(200);
    link.cut();
    await revoke(a.server, admin, id);
    await soon(async () => expect(await status(b.server, token)).toBe(401));
    await link.close();
  });

  it("forgets every cached setting on a message it cannot read", async () => {
    await pair();
    const { token } = await a.server.token();
    expect((await complete(b.server, token)).status).toBe(200);
    const reads = b.statements.settingsReads;
    const publisher = redisClients[0]!;
    await publisher.publish(INVALIDATION_CHANNEL, "not json");
    // Once b has the message, the next request reads the settings again, and later ones use
    // the new copy.
    await soon(async () => {
      expect((await complete(b.server, token)).status).toBe(200);
      expect(b.statements.settingsReads).toBe(reads + 1);
    });
  });
});

describe.runIf(postgres.enabled)("two instances sharing PostgreSQL, without Redis", () => {
  it("refuses on one a token revoked or rotated on the other within 1 s", async () => {
    database = await postgres.fresh();
    const clock = new TestClock();
    const a = await instance(database.url, { clock });
    const b = await instance(database.url, { clock });
    const admin = await adminToken(a.server);
    const revoked = await a.server.token();
    const rotated = await a.server.token();
    for (const { token } of [revoked, rotated]) expect(await status(b.server, token)).toBe(200);

    // The test clock stands still: only the token change counter can drop b's copies.
    const within1s = { timeout: 1000, interval: 10 };
    await revoke(a.server, admin, revoked.id);
    await vi.waitFor(async () => expect(await status(b.server, revoked.token)).toBe(401), within1s);
    const renewed = await rotate(a.server, admin, rotated.id, 0);
    await vi.waitFor(async () => expect(await status(b.server, rotated.token)).toBe(401), within1s);
    expect(await status(b.server, renewed)).toBe(200);
  });
});
