import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../store/store.ts";
import { startTestServer, tempSqliteUrl, type TestServer } from "../test/harness.ts";
import { unreachableRedis } from "../test/redis.ts";

interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId: string;
    details?: { path: string; message: string }[];
  };
}

interface ReadyBody {
  status: string;
  checks: Record<string, string>;
}

const redis = unreachableRedis();
/** What the Redis driver says when the check fails: it names hosts and internals. */
let driverMessage: string;
/** What the store says when its check fails, as a driver would: hosts and internals. */
const storeMessage = "connect ECONNREFUSED 10.1.2.3:5432 (pg_hba.conf internals)";
let sqlite: ReturnType<typeof tempSqliteUrl>;
let real: Store;
/** A store that answers everything but its readiness check, and Redis out of reach. */
let server: TestServer;
/** The store answers; only Redis is out of reach. */
let degraded: TestServer;
let admin: string;
let user: string;
let degradedAdmin: string;

beforeAll(async () => {
  driverMessage = await redis.ping().then(
    () => "",
    (error: unknown) => (error as Error).message,
  );
  expect(driverMessage.length).toBeGreaterThan(0);
  sqlite = tempSqliteUrl();
  real = await openStore(sqlite.url);
  server = await startTestServer({
    store: { ...real, ping: () => Promise.reject(new Error(storeMessage)) },
    env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
    readinessChecks: { redis: async () => void (await redis.ping()) },
  });
  admin = (await server.token({ scopes: ["admin"] })).token;
  user = (await server.token({ scopes: ["llm"] })).token;
  degraded = await startTestServer({
    readinessChecks: { redis: async () => void (await redis.ping()) },
  });
  degradedAdmin = (await degraded.token({ scopes: ["admin"] })).token;
});
afterAll(async () => {
  await server.close();
  await degraded.close();
  await real.close();
  rmSync(sqlite.dir, { recursive: true, force: true });
  redis.disconnect();
});

async function ready(token?: string): Promise<{ status: number; text: string; body: ErrorBody }> {
  const response = await server.fetch("/ready", token ? { token } : {});
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as ErrorBody };
}

describe("GET /ready with the store failing", () => {
  it("tells anyone which check failed, and not why", async () => {
    const { status, text, body } = await ready();
    expect(status).toBe(503);
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toBe("Not ready: store: fail");
    expect(body.error.details).toEqual([{ path: "store", message: "fail" }]);
    expect(text).not.toContain(storeMessage);
    expect(text).not.toContain(driverMessage);
  });

  it("tells a token without the admin scope no more than anyone", async () => {
    const { status, text, body } = await ready(user);
    expect(status).toBe(503);
    expect(body.error.details).toEqual([{ path: "store", message: "fail" }]);
    expect(text).not.toContain(storeMessage);
  });

  it("tells an admin token why the check failed", async () => {
    const { status, body } = await ready(admin);
    expect(status).toBe(503);
    expect(body.error.message).toBe(`Not ready: store: ${storeMessage}`);
    expect(body.error.details).toEqual([{ path: "store", message: storeMessage }]);
  });

  it("answers a bad token like no token: the probe stays public", async () => {
    const { status, text } = await ready(`ollm_${"B".repeat(43)}`);
    expect(status).toBe(503);
    expect(text).not.toContain(storeMessage);
  });
});

describe("GET /ready with only Redis failing", () => {
  it("answers 200 degraded, naming Redis: the instance keeps serving without it", async () => {
    const response = await degraded.fetch("/ready");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: "degraded",
      checks: { store: "ok", redis: "fail" },
    });
    expect(text).not.toContain(driverMessage);
  });

  it("tells an admin token why", async () => {
    const response = await degraded.fetch("/ready", { token: degradedAdmin });
    expect(response.status).toBe(200);
    expect(((await response.json()) as ReadyBody).checks.redis).toBe(driverMessage);
  });
});

describe("GET /ready with every check passing", () => {
  let healthy: TestServer | undefined;
  afterEach(async () => {
    await healthy?.close();
    healthy = undefined;
  });

  it("answers 200 with each check ok, to anyone", async () => {
    healthy = await startTestServer();
    const response = await healthy.fetch("/ready");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", checks: { store: "ok" } });
  });
});
