/**
 * Outages of the parts, against private Redis and PostgreSQL servers the tests stop and start
 * (never the shared ones): requests keep being served without Redis, fail at once with 503
 * `unavailable` without the database, and all is well again when each returns, without a restart.
 */
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "./config.ts";
import { createRateLimits } from "./limits/rate-limits.ts";
import { createGateway } from "./llm/gateway.ts";
import { createLogger } from "./logger.ts";
import { connectRedis, REDIS_COMMAND_TIMEOUT_MS } from "./redis.ts";
import { POSTGRES_CONNECT_TIMEOUT_MS, POSTGRES_QUERY_TIMEOUT_MS } from "./store/database.ts";
import {
  LogCapture,
  openCachedStore,
  startTestServer,
  TestClock,
  type TestServer,
} from "./test/harness.ts";
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivateService,
} from "./test/private-services.ts";

let server: TestServer | undefined;
let service: PrivateService | undefined;
let redis: Redis | undefined;
let closeStore: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await closeStore?.();
  redis?.disconnect();
  await service?.dispose();
  server = undefined;
  service = undefined;
  redis = undefined;
  closeStore = undefined;
});

interface Answer {
  status: number;
  headers: Headers;
  body: { cached?: boolean; error?: { code: string; message: string } };
  /** From the request to its whole answer. */
  ms: number;
}

async function ask(token: string, prompt: string): Promise<Answer> {
  const started = performance.now();
  const response = await server!.fetch("/api/v1/completions", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt, temperature: 0 }),
  });
  const body = (await response.json()) as Answer["body"];
  return {
    status: response.status,
    headers: response.headers,
    body,
    ms: performance.now() - started,
  };
}

/** A 503 `unavailable` for a database that is not answering. */
function expectDatabaseUnavailable(answer: Answer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(503);
  expect(answer.body.error?.code).toBe("unavailable");
  expect(answer.body.error?.message).toMatch(/database is not answering/);
  expect(answer.headers.get("retry-after")).toBe("5");
}

/** What /ready answers with Redis answering, and while only Redis fails. */
const readyWithRedis = JSON.stringify({ status: "ready", checks: { store: "ok", redis: "ok" } });
const degradedWithoutRedis = JSON.stringify({
  status: "degraded",
  checks: { store: "ok", redis: "fail" },
});

async function ready(): Promise<{ status: number; text: string }> {
  const response = await server!.fetch("/ready");
  return { status: response.status, text: await response.text() };
}

describe("with Redis down", () => {
  it("serves requests, limits rates in memory, bypasses the cache, and recovers", async () => {
    service = await startPrivateRedis();
    const logs = new LogCapture();
    const logger = createLogger({ log: { level: "info", format: "json" } }, logs);
    const connected = await connectRedis(service.url, logger);
    redis = connected;
    const config = loadConfig({ REDIS_URL: service.url });
    server = await startTestServer({
      gateway: await createGateway(config, { redis: connected }),
      limits: createRateLimits({ authFailuresPerMinute: 1000, redis: connected }),
      redis: connected,
      readinessChecks: { redis: async () => void (await connected.ping()) },
    });
    const { token } = await server.token({ scopes: ["llm"], rpm: 3 });

    expect((await ask(token, "Before")).body.cached).toBe(false);
    expect((await ask(token, "Before")).body.cached).toBe(true);
    expect((await ready()).status).toBe(200);

    // Down once the client has tried to reconnect and failed.
    const failed = new Promise((resolve) => connected.once("error", resolve));
    await service.stop();
    await failed;

    // Still ready, degraded: a load balancer keeps sending it requests.
    expect(await ready()).toEqual({ status: 200, text: degradedWithoutRedis });
    // The cache is out of reach: the same question is asked upstream, and answered.
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await ask(token, "Before"));
    expect(during.slice(0, 3).map((answer) => [answer.status, answer.body.cached])).toEqual([
      [200, false],
      [200, false],
      [200, false],
    ]);
    // This instance's own count: three a minute, the fourth refused.
    expect(during[3]!.status).toBe(429);
    expect(during[3]!.body.error?.code).toBe("rate_limited");
    expect(logs.text).toMatch(/redis unavailable: /);

    const back = new Promise((resolve) => connected.once("ready", resolve));
    await service.start();
    await back;

    expect(await ready()).toEqual({ status: 200, text: readyWithRedis });
    // Counts and answers are in Redis again (the new one starts empty).
    const after = await server.token({ scopes: ["llm"], rpm: 3 });
    expect((await ask(after.token, "After")).body.cached).toBe(false);
    expect((await ask(after.token, "After")).body.cached).toBe(true);
    expect(logs.text).toMatch(/redis is back/);
    expect(server.logs.text).not.toMatch(/unexpected error/);
  });
});

describe("with Redis frozen: connection open, nothing answering", () => {
  it("serves requests after REDIS_COMMAND_TIMEOUT_MS, not REQUEST_TIMEOUT_MS, and recovers", async () => {
    const redisServer = await startPrivateRedis();
    service = redisServer;
    const logs = new LogCapture();
    const logger = createLogger({ log: { level: "info", format: "json" } }, logs);
    const connected = await connectRedis(redisServer.url, logger);
    redis = connected;
    const requestTimeoutMs = 10 * REDIS_COMMAND_TIMEOUT_MS;
    const config = loadConfig({
      REDIS_URL: redisServer.url,
      REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    });
    server = await startTestServer({
      gateway: await createGateway(config, { redis: connected }),
      limits: createRateLimits({ authFailuresPerMinute: 1000, redis: connected }),
      redis: connected,
      readinessChecks: { redis: async () => void (await connected.ping()) },
      env: { REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    });
    const { token } = await server.token({ scopes: ["llm"], rpm: 100 });
    expect((await ask(token, "Before")).body.cached).toBe(false);
    expect((await ask(token, "Before")).body.cached).toBe(true);

    redisServer.freeze();
    try {
      const during = await ask(token, "During");
      expect(during.status, JSON.stringify(during.body)).toBe(200);
      // Each of its few Redis commands (rate limit, cache) given up after the command timeout.
      expect(during.ms).toBeLessThan(requestTimeoutMs / 2);
      expect(await ready()).toEqual({ status: 200, text: degradedWithoutRedis });
    } finally {
      redisServer.thaw();
    }

    await vi.waitFor(
      async () => expect(await ready()).toEqual({ status: 200, text: readyWithRedis }),
      { timeout: 10_000 },
    );
    expect((await ask(token, "After")).body.cached).toBe(false);
    expect((await ask(token, "After")).body.cached).toBe(true);
    expect(server.logs.text).not.toMatch(/unexpected error/);
  });
});

describe("with PostgreSQL down", () => {
  it("says so on /ready, answers 503 unavailable at once, and recovers", async () => {
    service = await startPrivatePostgres();
    const clock = new TestClock();
    const store = await openCachedStore(service.url, { clock });
    closeStore = () => store.close();
    server = await startTestServer({ store, clock });
    const { token } = await server.token({ scopes: ["llm"] });

    expect((await ask(token, "Before")).status).toBe(200);
    expect((await ready()).status).toBe(200);

    await service.stop();

    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.text).toMatch(/store/);
    for (const prompt of ["Before", "During"]) {
      const answer = await ask(token, prompt);
      expectDatabaseUnavailable(answer);
      // At once: a refused connection, not a wait for the connect timeout.
      expect(answer.ms).toBeLessThan(POSTGRES_CONNECT_TIMEOUT_MS);
    }
    const me = await server.fetch("/api/v1/me", { token });
    expect(me.status).toBe(503);

    await service.start();

    expect((await ready()).status).toBe(200);
    expect((await ask(token, "After")).status).toBe(200);
    expect((await server.fetch("/api/v1/me", { token })).status).toBe(200);
    expect(server.logs.text).not.toMatch(/unexpected error/);
  });
});

describe("with PostgreSQL frozen: connections open, nothing answering", () => {
  it("answers 503 unavailable within POSTGRES_QUERY_TIMEOUT_MS, not REQUEST_TIMEOUT_MS, and recovers", async () => {
    const postgres = await startPrivatePostgres();
    service = postgres;
    const clock = new TestClock();
    const store = await openCachedStore(postgres.url, { clock });
    closeStore = () => store.close();
    const requestTimeoutMs = 4 * POSTGRES_QUERY_TIMEOUT_MS;
    server = await startTestServer({
      store,
      clock,
      env: { REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    });
    const { token } = await server.token({ scopes: ["llm"] });
    // The pool holds open connections, which a frozen server leaves unanswered.
    for (const prompt of ["One", "Two", "Three", "Four", "Five"])
      expect((await ask(token, prompt)).status).toBe(200);

    postgres.freeze();
    try {
      const answer = await ask(token, "During");
      expectDatabaseUnavailable(answer);
      // A statement unanswered, then at most one connection that cannot open: never the request timeout.
      expect(answer.ms).toBeLessThan(POSTGRES_QUERY_TIMEOUT_MS + 2 * POSTGRES_CONNECT_TIMEOUT_MS);
      expect((await ready()).status).toBe(503);
    } finally {
      postgres.thaw();
    }

    expect((await ready()).status).toBe(200);
    expect((await ask(token, "After")).status).toBe(200);
    expect(server.logs.text).not.toMatch(/unexpected error/);
  });
});
