/**
 * PATCH /api/v1/admin/tokens/:id: an operator changes a token's name, scopes, rate limit, monthly
 * budget or expiry over HTTP; the change is audited and, on several server processes sharing one
 * database (and Redis, when REDIS_URL is set), applies on the instance that did not make it
 * within 1 s, though that instance had the token cached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../clock.ts";
import { TokenService } from "../auth/token-service.ts";
import { openStore, type Store } from "../store/store.ts";
import { backends, type FreshDatabase } from "../test/backends.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";
import { freePort, NodeChild } from "../test/process.ts";
import { Prober } from "../test/prober.ts";

interface TokenView {
  id: string;
  name: string;
  scopes: string[];
  rpm: number | null;
  budgetUsd: number | null;
  expiresAt: string | null;
  limits: { requestsPerMinute: number; monthlyBudgetUsd: number | null };
}

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

const DEFAULT_RPM = 100_000;

function patch(url: string, adminToken: string, id: string, body: unknown) {
  return fetch(`${url}/api/v1/admin/tokens/${id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("PATCH /api/v1/admin/tokens/:id on one server", () => {
  let server: TestServer;
  let admin: { id: string; token: string };
  beforeAll(async () => {
    server = await startTestServer({
      env: { RATE_LIMIT_RPM: String(DEFAULT_RPM), AUTH_FAILURES_PER_MINUTE: "100000" },
    });
    admin = await server.token({ name: "operator", scopes: ["admin"] });
  });
  afterAll(() => server.close());

  const change = (id: string, body: unknown) => patch(server.url, admin.token, id, body);
  async function me(token: string) {
    const response = await server.fetch("/api/v1/me", { token });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("changes every field at once, answers the token with its limits, and audits old and new", async () => {
    const { id, token } = await server.token({ name: "Finance", scopes: ["llm"] });
    const expiresAt = new Date(server.clock.now().getTime() + 7 * 86_400_000).toISOString();
    const response = await change(id, {
      name: "Finance team",
      scopes: ["llm", "calendar"],
      rpm: 30,
      budgetUsd: 12.5,
      expiresAt,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({
      id,
      name: "Finance team",
      scopes: ["llm", "calendar"],
      rpm: 30,
      budgetUsd: 12.5,
      expiresAt,
      limits: { requestsPerMinute: 30, monthlyBudgetUsd: 12.5 },
    });

    // The token's own view agrees at once.
    expect((await me(token)).body).toMatchObject({
      name: "Finance team",
      scopes: ["llm", "calendar"],
      expiresAt,
      limits: { requestsPerMinute: 30, monthlyBudgetUsd: 12.5 },
    });

    const audit = await server.fetch("/api/v1/admin/audit?limit=5", { token: admin.token });
    const { entries } = (await audit.json()) as {
      entries: { action: string; subject: string; actorTokenId: string; detail: unknown }[];
    };
    const entry = entries.find((e) => e.action === "token.updated" && e.subject === id);
    expect(entry).toMatchObject({
      actorTokenId: admin.id,
      detail: {
        changes: {
          name: { from: "Finance", to: "Finance team" },
          scopes: { from: ["llm"], to: ["llm", "calendar"] },
          rpm: { from: null, to: 30 },
          budgetUsd: { from: null, to: 12.5 },
          expiresAt: { from: null, to: expiresAt },
        },
      },
    });
    expect(JSON.stringify(entries)).not.toContain(token);
  });

  it("clears with null: the default rpm, no budget, no expiry", async () => {
    const { id, token } = await server.token({ rpm: 5, budgetUsd: 3, expiresInMs: 86_400_000 });
    const response = await change(id, { rpm: null, budgetUsd: null, expiresAt: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      rpm: null,
      budgetUsd: null,
      expiresAt: null,
      limits: { requestsPerMinute: DEFAULT_RPM, monthlyBudgetUsd: null },
    });
    expect((await me(token)).body).toMatchObject({
      expiresAt: null,
      limits: { requestsPerMinute: DEFAULT_RPM, monthlyBudgetUsd: null },
    });
  });

  it("lists every token with its effective limits", async () => {
    const own = await server.token({ rpm: 7 });
    const defaulted = await server.token();
    const response = await server.fetch("/api/v1/admin/tokens", { token: admin.token });
    const { tokens } = (await response.json()) as { tokens: TokenView[] };
    expect(tokens.find((t) => t.id === own.id)?.limits.requestsPerMinute).toBe(7);
    expect(tokens.find((t) => t.id === defaulted.id)).toMatchObject({
      rpm: null,
      limits: { requestsPerMinute: DEFAULT_RPM, monthlyBudgetUsd: null },
    });
  });

  it("applies a lower rpm to the requests the token has already made this minute", async () => {
    const { id, token } = await server.token({ rpm: 10 });
    for (let i = 0; i < 3; i++) expect((await me(token)).status).toBe(200);
    expect((await change(id, { rpm: 3 })).status).toBe(200);
    const limited = await server.fetch("/api/v1/me", { token });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("ratelimit-limit")).toBe("3");
    expect(((await limited.json()) as ErrorBody).error.code).toBe("rate_limited");
    // And a higher one lets it go on, within the same minute.
    expect((await change(id, { rpm: 10 })).status).toBe(200);
    const again = await server.fetch("/api/v1/me", { token });
    expect(again.status).toBe(200);
    expect(again.headers.get("ratelimit-remaining")).toBe("5");
  });

  it("takes a scope away at once", async () => {
    const { id, token } = await server.token({ scopes: ["llm", "admin"] });
    const before = await server.fetch("/api/v1/admin/tokens", { token });
    expect(before.status).toBe(200);
    await before.arrayBuffer();
    expect((await change(id, { scopes: ["llm"] })).status).toBe(200);
    const after = await server.fetch("/api/v1/admin/tokens", { token });
    expect(after.status).toBe(403);
    await after.arrayBuffer();
  });

  it("records nothing when nothing changes", async () => {
    const { id } = await server.token({ name: "same", rpm: 4 });
    expect((await change(id, { name: "same", rpm: 4 })).status).toBe(200);
    const audit = await server.fetch("/api/v1/admin/audit?limit=20", { token: admin.token });
    const { entries } = (await audit.json()) as { entries: { action: string; subject: string }[] };
    expect(entries.filter((e) => e.subject === id).map((e) => e.action)).toEqual(["token.created"]);
  });

  const refusals: [string, unknown, string][] = [
    ["an empty change", {}, "invalid_request"],
    ["an unknown field", { colour: "red" }, "invalid_request"],
    ["an empty name", { name: " " }, "invalid_request"],
    ["no scopes", { scopes: [] }, "invalid_request"],
    ["an unknown scope", { scopes: ["root"] }, "invalid_request"],
    ["a zero rpm", { rpm: 0 }, "invalid_request"],
    ["a fractional rpm", { rpm: 1.5 }, "invalid_request"],
    ["an rpm beyond the bound", { rpm: 1_000_001 }, "invalid_request"],
    ["a negative budget", { budgetUsd: -1 }, "invalid_request"],
    ["an expiry that is not a date", { expiresAt: "tomorrow" }, "invalid_request"],
    ["an expiry in the past", { expiresAt: "2001-01-01T00:00:00Z" }, "invalid_request"],
  ];
  for (const [label, body, code] of refusals) {
    it(`refuses ${label} with 400 ${code} and changes nothing`, async () => {
      const { id } = await server.token({ name: "untouched", rpm: 9 });
      const response = await change(id, body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).error.code).toBe(code);
      expect(await server.store.tokens.findById(id)).toMatchObject({
        name: "untouched",
        rpm: 9,
        expires_at: null,
      });
    });
  }

  it("answers 404 for an unknown token and 400 for a revoked one", async () => {
    const unknown = await change("tok_doesnotexist", { rpm: 5 });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe("not_found");

    const { id } = await server.token();
    await server.tokens.revoke(id);
    const revoked = await change(id, { rpm: 5 });
    expect(revoked.status).toBe(400);
    expect(((await revoked.json()) as ErrorBody).error.message).toMatch(/revoked/);
  });

  it("is for admins only", async () => {
    const { id, token } = await server.token({ scopes: ["llm"] });
    const response = await patch(server.url, token, id, { rpm: 1_000 });
    expect(response.status).toBe(403);
    await response.arrayBuffer();
  });
});

/** What the issue asks: a change takes effect on every instance within this long. */
const BOUND_MS = 1000;
const REDIS_URL = process.env.REDIS_URL;

for (const backend of backends.filter((b) => b.enabled)) {
  const shared = REDIS_URL ? "and Redis" : "without Redis";
  describe(`two server processes on one ${backend.dialect} database ${shared}`, () => {
    let database: FreshDatabase;
    let store: Store;
    let tokens: TokenService;
    let admin: { id: string; token: string };
    const instances: { server: NodeChild; url: string }[] = [];

    beforeAll(async () => {
      database = await backend.fresh();
      store = await openStore(database.url);
      tokens = new TokenService(store, systemClock);
      admin = await tokens.create({ name: "operator", scopes: ["admin"] });
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const server = new NodeChild("server/main.ts", [], {
          PORT: String(port),
          HOST: "127.0.0.1",
          DATABASE_URL: database.url,
          LOG_LEVEL: "info",
          RATE_LIMIT_RPM: String(DEFAULT_RPM),
          ...(REDIS_URL ? { REDIS_URL } : {}),
        });
        instances.push({ server, url: `http://127.0.0.1:${port}` });
      }
      await Promise.all(instances.map(({ server }) => server.waitFor(/OfficeLLM is listening/)));
    });
    afterAll(async () => {
      await Promise.all(instances.map(({ server }) => server.kill()));
      await store?.close();
      await database?.cleanup();
    });

    /**
     * Has instance B ask as a token (which it then holds cached), changes the token through
     * instance A, and checks that B answered the old way to no request sent 1 s after A answered.
     */
    async function expectAppliedOnTheOtherInstance(
      what: string,
      token: string,
      change: unknown,
      id: string,
      probe: { path?: string; until: number },
    ) {
      const [a, b] = instances;
      const prober = new Prober(b!.url, token, probe);
      await expect.poll(() => prober.probes.length).toBeGreaterThan(0);
      expect(prober.probes[0]!.status).toBe(200);

      const response = await patch(a!.url, admin.token, id, change);
      const changedAt = Date.now();
      expect(response.status, await response.clone().text()).toBe(200);
      await response.arrayBuffer();

      const first = await prober.changed;
      const lastUnchanged = prober.lastUnchanged.sentAt - changedAt;
      console.info(
        `${backend.dialect} ${shared}: ${what}: last old answer on a request sent ` +
          `${lastUnchanged} ms after A answered the PATCH, first new one received ` +
          `${first.receivedAt - changedAt} ms after (${prober.probes.length} requests)`,
      );
      expect(lastUnchanged).toBeLessThan(BOUND_MS);
    }

    it("applies a lower rpm on the other instance within 1 s", async () => {
      const { id, token } = await tokens.create({ name: "busy", scopes: ["llm"] });
      // The prober's own requests are more than 1 a minute, so rpm 1 refuses the next one.
      await expectAppliedOnTheOtherInstance("rpm lowered", token, { rpm: 1 }, id, {
        until: 429,
      });
      const refused = await fetch(`${instances[1]!.url}/api/v1/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(refused.headers.get("ratelimit-limit")).toBe("1");
      await refused.arrayBuffer();
    });

    it("takes a scope away on the other instance within 1 s", async () => {
      const { id, token } = await tokens.create({ name: "former admin", scopes: ["admin"] });
      await expectAppliedOnTheOtherInstance("admin scope removed", token, { scopes: ["llm"] }, id, {
        path: "/api/v1/admin/tokens",
        until: 403,
      });
    });
  });
}
