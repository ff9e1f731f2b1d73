import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, tempSqliteUrl, type TestServer } from "../test/harness.ts";
import { unreachableRedis } from "../test/redis.ts";
import { openStore, type Store } from "../store/store.ts";
import { createRateLimits } from "./rate-limits.ts";

const REDIS_URL = process.env.REDIS_URL;

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

const BAD_TOKEN = `ollm_${"B".repeat(43)}`;

// Servers started by a test are closed after it, whether it passed or not.
let servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers) await server.close();
  servers = [];
});

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

describe("per-token request limit (memory)", () => {
  it("allows RATE_LIMIT_RPM requests a minute, announces the budget, then answers 429", async () => {
    const server = await start({ env: { RATE_LIMIT_RPM: "3" } });
    const { token } = await server.token();

    for (const remaining of [2, 1, 0]) {
      const response = await server.fetch("/api/v1/me", { token });
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit-limit")).toBe("3");
      expect(response.headers.get("ratelimit-remaining")).toBe(String(remaining));
      expect(response.headers.get("ratelimit-policy")).toBe("3;w=60");
      const reset = Number(response.headers.get("ratelimit-reset"));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
      expect(((await response.json()) as { limits: unknown }).limits).toMatchObject({
        requestsPerMinute: 3,
      });
    }

    const limited = await server.fetch("/api/v1/me", { token });
    expect(limited.status).toBe(429);
    const retryAfter = limited.headers.get("retry-after");
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("ratelimit-limit")).toBe("3");
    const body = (await limited.json()) as ErrorBody;
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toMatch(/3 requests per minute/);
    expect(body.error.requestId).toBe(limited.headers.get("x-request-id"));
  });

  it("uses a token's own requests per minute instead of the default", async () => {
    const server = await start({ env: { RATE_LIMIT_RPM: "3" } });
    const { token } = await server.token({ rpm: 5 });

    for (let i = 1; i <= 5; i++) {
      const response = await server.fetch("/api/v1/me", { token });
      expect(response.status, `request ${i}`).toBe(200);
      expect(response.headers.get("ratelimit-limit")).toBe("5");
      expect(response.headers.get("ratelimit-policy")).toBe("5;w=60");
      expect(response.headers.get("ratelimit-remaining")).toBe(String(5 - i));
    }
    const limited = await server.fetch("/api/v1/me", { token });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as ErrorBody).error.code).toBe("rate_limited");
  });

  it("gives each token its own budget", async () => {
    const server = await start({ env: { RATE_LIMIT_RPM: "3" } });
    const first = await server.token();
    const second = await server.token();

    for (let i = 0; i < 3; i++) {
      expect((await server.fetch("/api/v1/me", { token: first.token })).status).toBe(200);
    }
    expect((await server.fetch("/api/v1/me", { token: first.token })).status).toBe(429);

    const other = await server.fetch("/api/v1/me", { token: second.token });
    expect(other.status).toBe(200);
    expect(other.headers.get("ratelimit-remaining")).toBe("2");
    // The first token stays limited; the second one's use did not reset it.
    expect((await server.fetch("/api/v1/me", { token: first.token })).status).toBe(429);
  });
});

describe("Redis unreachable", () => {
  const bad = unreachableRedis();
  // quit() would first try to connect (and keep retrying); a client that never connected is
  // closed with disconnect().
  afterAll(() => bad.disconnect());

  it("falls back to per-instance memory counters instead of failing requests", async () => {
    const server = await start({
      env: { RATE_LIMIT_RPM: "3" },
      limits: createRateLimits({ authFailuresPerMinute: 2, redis: bad }),
    });
    const { token } = await server.token();

    for (const remaining of [2, 1, 0]) {
      const response = await server.fetch("/api/v1/me", { token });
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit-remaining")).toBe(String(remaining));
    }
    // The fallback still limits.
    const limited = await server.fetch("/api/v1/me", { token });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as ErrorBody).error.code).toBe("rate_limited");

    // Failed sign-ins are counted in memory too: 401, 401, then blocked.
    expect((await server.fetch("/api/v1/me", { token: BAD_TOKEN })).status).toBe(401);
    expect((await server.fetch("/api/v1/me", { token: BAD_TOKEN })).status).toBe(401);
    const blocked = await server.fetch("/api/v1/me", { token: BAD_TOKEN });
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as ErrorBody).error.code).toBe("rate_limited");
  });

  it("leaves /ready at 200, degraded, naming redis: the instance serves without it", async () => {
    const server = await start({
      readinessChecks: {
        redis: async () => {
          await bad.ping();
        },
      },
    });
    const response = await server.fetch("/ready");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "degraded",
      checks: { store: "ok", redis: "fail" },
    });
  });
});

describe.runIf(REDIS_URL)("limits shared through Redis", () => {
  const clients: Redis[] = [];
  const prefixes: string[] = [];
  let store: Store;
  let storeDir: string;

  /** One client per app instance, as two processes would each have. */
  function redisClient(): Redis {
    const client = new Redis(REDIS_URL!);
    clients.push(client);
    return client;
  }

  function uniquePrefix(): string {
    const prefix = `officellm:test:${randomUUID()}`;
    prefixes.push(prefix);
    return prefix;
  }

  /** Two app instances over one store, with limits in Redis under one prefix. */
  async function twoInstances(authFailuresPerMinute: number): Promise<[TestServer, TestServer]> {
    const keyPrefix = uniquePrefix();
    const instance = () =>
      start({
        store,
        limits: createRateLimits({ authFailuresPerMinute, redis: redisClient(), keyPrefix }),
      });
    return [await instance(), await instance()];
  }

  beforeAll(async () => {
    const sqlite = tempSqliteUrl();
    storeDir = sqlite.dir;
    store = await openStore(sqlite.url);
  });

  afterAll(async () => {
    const cleaner = clients[0];
    if (cleaner) {
      for (const prefix of prefixes) {
        const keys = await cleaner.keys(`${prefix}:*`);
        if (keys.length > 0) await cleaner.del(...keys);
      }
    }
    await Promise.all(clients.map((client) => client.quit()));
    await store.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("counts a token's requests once across instances", async () => {
    const [a, b] = await twoInstances(100);
    const { token } = await a.token({ rpm: 10 });

    for (let i = 1; i <= 10; i++) {
      const instance = i % 2 === 1 ? a : b;
      const response = await instance.fetch("/api/v1/me", { token });
      expect(response.status, `request ${i}`).toBe(200);
      expect(response.headers.get("ratelimit-limit")).toBe("10");
      expect(response.headers.get("ratelimit-remaining"), `request ${i}`).toBe(String(10 - i));
    }
    for (const instance of [a, b]) {
      const limited = await instance.fetch("/api/v1/me", { token });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await limited.json()) as ErrorBody).error.code).toBe("rate_limited");
    }
  });

  it("allows exactly the budget when both instances are hit at once", async () => {
    const [a, b] = await twoInstances(100);
    const { token } = await a.token({ rpm: 10 });
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).fetch("/api/v1/me", { token })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
  });

  it("shares failed sign-ins across instances", async () => {
    const [a, b] = await twoInstances(3);
    const { token } = await a.token();

    expect((await a.fetch("/api/v1/me", { token: BAD_TOKEN })).status).toBe(401);
    expect((await b.fetch("/api/v1/me", { token: BAD_TOKEN })).status).toBe(401);
    expect((await a.fetch("/api/v1/me", { token: BAD_TOKEN })).status).toBe(401);

    // The three failures, made on both, throttle the address's next failure on either.
    for (const instance of [b, a]) {
      const blocked = await instance.fetch("/api/v1/me", { token: BAD_TOKEN });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      const body = (await blocked.json()) as ErrorBody;
      expect(body.error.code).toBe("rate_limited");
      expect(body.error.message).toMatch(/failed sign-ins/);
    }
    // A valid token from the same address still gets in, on either instance.
    for (const instance of [a, b]) {
      expect((await instance.fetch("/api/v1/me", { token })).status).toBe(200);
    }
  });

  it("makes /ready report redis ok alongside the store", async () => {
    const redis = redisClient();
    const server = await start({
      readinessChecks: {
        redis: async () => {
          await redis.ping();
        },
      },
    });
    const response = await server.fetch("/ready");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ready",
      checks: { store: "ok", redis: "ok" },
    });
  });
});
