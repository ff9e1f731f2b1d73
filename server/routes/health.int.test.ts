import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { unreachableRedis } from "../test/redis.ts";

interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId: string;
    details?: { path: string; message: string }[];
  };
}

const redis = unreachableRedis();
/** What the Redis driver says when the check fails: it names hosts and internals. */
let driverMessage: string;
let server: TestServer;
let admin: string;
let user: string;

beforeAll(async () => {
  driverMessage = await redis.ping().then(
    () => "",
    (error: unknown) => (error as Error).message,
  );
  expect(driverMessage.length).toBeGreaterThan(0);
  server = await startTestServer({
    env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
    readinessChecks: { redis: async () => void (await redis.ping()) },
  });
  admin = (await server.token({ scopes: ["admin"] })).token;
  user = (await server.token({ scopes: ["llm"] })).token;
});
afterAll(async () => {
  await server.close();
  redis.disconnect();
});

async function ready(token?: string): Promise<{ status: number; text: string; body: ErrorBody }> {
  const response = await server.fetch("/ready", token ? { token } : {});
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as ErrorBody };
}

describe("GET /ready with a failing check", () => {
  it("tells anyone which check failed, and not why", async () => {
    const { status, text, body } = await ready();
    expect(status).toBe(503);
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toBe("Not ready: redis: fail");
    expect(body.error.details).toEqual([{ path: "redis", message: "fail" }]);
    expect(text).not.toContain(driverMessage);
  });

  it("tells a token without the admin scope no more than anyone", async () => {
    const { status, text, body } = await ready(user);
    expect(status).toBe(503);
    expect(body.error.details).toEqual([{ path: "redis", message: "fail" }]);
    expect(text).not.toContain(driverMessage);
  });

  it("tells an admin token why the check failed", async () => {
    const { status, body } = await ready(admin);
    expect(status).toBe(503);
    expect(body.error.message).toBe(`Not ready: redis: ${driverMessage}`);
    expect(body.error.details).toEqual([{ path: "redis", message: driverMessage }]);
  });

  it("answers a bad token like no token: the probe stays public", async () => {
    const { status, text } = await ready(`ollm_${"B".repeat(43)}`);
    expect(status).toBe(503);
    expect(text).not.toContain(driverMessage);
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
