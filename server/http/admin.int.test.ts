import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";

interface Me {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  limits: { requestsPerMinute: number; monthlyBudgetUsd: number | null };
}

interface AuditEntry {
  id: string;
  actorTokenId: string | null;
  action: string;
  subject: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

let server: TestServer;
let admin: { id: string; token: string };
/** Every secret the tests have seen, none of which may show up where it should not. */
const secrets: string[] = [];

beforeAll(async () => {
  server = await startTestServer({
    env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
  });
  admin = await server.token({ name: "operator", scopes: ["admin"] });
  secrets.push(admin.token);
});
afterAll(() => server.close());

function adminCall(method: string, path: string, body?: unknown) {
  return server.fetch(path, {
    method,
    token: admin.token,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
}

async function me(token: string) {
  return server.fetch("/api/v1/me", { token });
}

async function createToken(body: Record<string, unknown>) {
  const response = await adminCall("POST", "/api/v1/admin/tokens", body);
  expect(response.status, await response.clone().text()).toBe(201);
  const issued = (await response.json()) as { id: string; token: string };
  secrets.push(issued.token);
  return issued;
}

async function expectUnauthorized(token: string, message: RegExp) {
  const response = await me(token);
  expect(response.status).toBe(401);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("unauthorized");
  expect(body.error.message).toMatch(message);
}

describe("issuing tokens", () => {
  it("answers 201 with only the id and the secret, and the new token works", async () => {
    const response = await adminCall("POST", "/api/v1/admin/tokens", {
      name: "Finance sheet",
      scopes: ["llm", "calendar"],
      rpm: 30,
      budgetUsd: 12.5,
      expiresInDays: 10,
    });
    expect(response.status).toBe(201);
    const issued = (await response.json()) as Record<string, string>;
    expect(Object.keys(issued).sort()).toEqual(["id", "token"]);
    expect(issued.id).toMatch(/^tok_/);
    expect(issued.token).toMatch(/^ollm_[A-Za-z0-9_-]{43}$/);
    secrets.push(issued.token!);

    const answer = await me(issued.token!);
    expect(answer.status).toBe(200);
    const caller = (await answer.json()) as Me;
    expect(caller).toMatchObject({
      id: issued.id,
      name: "Finance sheet",
      scopes: ["llm", "calendar"],
      limits: { requestsPerMinute: 30, monthlyBudgetUsd: 12.5 },
    });
    expect(caller.expiresAt).toBe(
      new Date(server.clock.now().getTime() + 10 * 86_400_000).toISOString(),
    );
  });

  it("gives a token the llm scope when none is asked for", async () => {
    const issued = await createToken({ name: "defaults" });
    const caller = (await (await me(issued.token)).json()) as Me;
    expect(caller.scopes).toEqual(["llm"]);
    expect(caller.expiresAt).toBeNull();
  });

  it("lists tokens without their secrets or hashes", async () => {
    const issued = await createToken({ name: "listed" });
    const response = await adminCall("GET", "/api/v1/admin/tokens");
    expect(response.status).toBe(200);
    const text = await response.text();
    const { tokens } = JSON.parse(text) as { tokens: { id: string; prefix: string }[] };
    const listed = tokens.find((token) => token.id === issued.id);
    expect(listed).toBeDefined();
    expect(issued.token.startsWith(listed!.prefix)).toBe(true);
    expect(listed!.prefix.length).toBeLessThan(issued.token.length / 2);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/hash/i);
  });
});

describe("rotating tokens", () => {
  it("keeps the old secret working for graceSeconds, then only the new one", async () => {
    const issued = await createToken({ name: "rotating" });
    const response = await adminCall("POST", `/api/v1/admin/tokens/${issued.id}/rotate`, {
      graceSeconds: 60,
    });
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as {
      id: string;
      token: string;
      previousSecretValidUntil: string | null;
    };
    secrets.push(rotated.token);
    expect(rotated.id).toBe(issued.id);
    expect(rotated.token).not.toBe(issued.token);
    expect(rotated.previousSecretValidUntil).toBe(
      new Date(server.clock.now().getTime() + 60_000).toISOString(),
    );

    for (const token of [issued.token, rotated.token]) {
      const answer = await me(token);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as Me).id).toBe(issued.id);
    }

    server.clock.advance(59_000);
    expect((await me(issued.token)).status).toBe(200);

    server.clock.advance(2_000);
    await expectUnauthorized(issued.token, /expired/);
    expect((await me(rotated.token)).status).toBe(200);
  });

  it("ends the old secret at once without graceSeconds", async () => {
    const issued = await createToken({ name: "rotating-now" });
    const response = await adminCall("POST", `/api/v1/admin/tokens/${issued.id}/rotate`, {});
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as {
      token: string;
      previousSecretValidUntil: string | null;
    };
    secrets.push(rotated.token);
    expect(rotated.previousSecretValidUntil).toBeNull();
    // Without a grace period the old secret's hash is not kept at all.
    await expectUnauthorized(issued.token, /not valid/);
    expect((await me(rotated.token)).status).toBe(200);
  });

  it("refuses a grace period out of range with 400", async () => {
    const issued = await createToken({ name: "rotating-bad" });
    const response = await adminCall("POST", `/api/v1/admin/tokens/${issued.id}/rotate`, {
      graceSeconds: -5,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((detail) => detail.path)).toEqual(["body.graceSeconds"]);
    expect((await me(issued.token)).status).toBe(200);
  });
});

describe("revoking tokens", () => {
  it("stops the token at once", async () => {
    const issued = await createToken({ name: "doomed" });
    expect((await me(issued.token)).status).toBe(200);
    const response = await adminCall("DELETE", `/api/v1/admin/tokens/${issued.id}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const summary = JSON.parse(text) as { id: string; revokedAt: string | null };
    expect(summary.id).toBe(issued.id);
    expect(summary.revokedAt).toBe(server.clock.now().toISOString());
    expect(text).not.toContain(issued.token);
    await expectUnauthorized(issued.token, /revoked/);
  });

  it("is idempotent", async () => {
    const issued = await createToken({ name: "twice" });
    const first = await adminCall("DELETE", `/api/v1/admin/tokens/${issued.id}`);
    const revokedAt = ((await first.json()) as { revokedAt: string }).revokedAt;
    server.clock.advance(1000);
    const second = await adminCall("DELETE", `/api/v1/admin/tokens/${issued.id}`);
    expect(second.status).toBe(200);
    expect(((await second.json()) as { revokedAt: string }).revokedAt).toBe(revokedAt);
  });
});

describe("unknown token ids", () => {
  const cases: [string, string, unknown][] = [
    ["DELETE", "/api/v1/admin/tokens/tok_doesNotExist", undefined],
    ["POST", "/api/v1/admin/tokens/tok_doesNotExist/rotate", { graceSeconds: 10 }],
  ];
  for (const [method, path, body] of cases) {
    it(`answer ${method} ${path} with 404 not_found`, async () => {
      const response = await adminCall(method, path, body);
      expect(response.status).toBe(404);
      const envelope = (await response.json()) as {
        error: { code: string; message: string; requestId: string };
      };
      expect(envelope.error.code).toBe("not_found");
      expect(envelope.error.message).toContain("tok_doesNotExist");
      expect(envelope.error.requestId).toBe(response.headers.get("x-request-id"));
    });
  }
});

describe("the audit log", () => {
  it("records creation, rotation and revocation with the acting admin, and no secret", async () => {
    server.clock.advance(1000);
    const issued = await createToken({ name: "audited", scopes: ["llm", "admin"] });
    server.clock.advance(1000);
    const rotate = await adminCall("POST", `/api/v1/admin/tokens/${issued.id}/rotate`, {
      graceSeconds: 30,
    });
    expect(rotate.status).toBe(200);
    secrets.push(((await rotate.json()) as { token: string }).token);
    server.clock.advance(1000);
    expect((await adminCall("DELETE", `/api/v1/admin/tokens/${issued.id}`)).status).toBe(200);

    const response = await adminCall("GET", "/api/v1/admin/audit?limit=1000");
    expect(response.status).toBe(200);
    const text = await response.text();
    const { entries } = JSON.parse(text) as { entries: AuditEntry[] };

    const forToken = entries.filter((entry) => entry.subject === issued.id);
    expect(forToken.map((entry) => entry.action)).toEqual([
      "token.revoked",
      "token.rotated",
      "token.created",
    ]);
    for (const entry of forToken) {
      expect(entry.actorTokenId, entry.action).toBe(admin.id);
    }
    expect(forToken.find((e) => e.action === "token.created")!.detail).toMatchObject({
      name: "audited",
    });
    expect(forToken.find((e) => e.action === "token.rotated")!.detail).toMatchObject({
      graceMs: 30_000,
    });

    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/ollm_[A-Za-z0-9_-]{20,}/);
  });

  it("lists newest first and honours limit", async () => {
    const response = await adminCall("GET", "/api/v1/admin/audit?limit=2");
    expect(response.status).toBe(200);
    const { entries } = (await response.json()) as { entries: AuditEntry[] };
    expect(entries).toHaveLength(2);
    expect(entries[0]!.createdAt >= entries[1]!.createdAt).toBe(true);
    expect(entries[0]!.action).toBe("token.revoked");
  });

  it("records no actor for a token made outside the API", async () => {
    const outside = await server.token({ name: "from-cli" });
    const { entries } = (await (
      await adminCall("GET", "/api/v1/admin/audit?limit=1000")
    ).json()) as { entries: AuditEntry[] };
    const created = entries.find(
      (entry) => entry.subject === outside.id && entry.action === "token.created",
    );
    expect(created?.actorTokenId).toBeNull();
  });
});

describe("rotating a revoked token", () => {
  it("is refused with 400, not a server error", async () => {
    const server = await startTestServer();
    try {
      const admin = await server.token({ scopes: ["admin"] });
      const target = await server.token();
      await server.tokens.revoke(target.id);
      const response = await server.fetch(`/api/v1/admin/tokens/${target.id}/rotate`, {
        method: "POST",
        token: admin.token,
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code: "invalid_request" });
      expect(body.error.message).toMatch(/revoked/);
    } finally {
      await server.close();
    }
  });
});
