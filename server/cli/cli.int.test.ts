import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../store/store.ts";
import { openCachedStore, startTestServer, TestClock, type TestServer } from "../test/harness.ts";
import { runNode } from "../test/process.ts";

const SECRET = /^ollm_[A-Za-z0-9_-]{43}$/;

let dir: string;
let databaseUrl: string;
let store: Store;
let server: TestServer;

/** Runs the command line against the test database. */
function cli(...args: string[]) {
  return runNode("server/cli/main.ts", args, { DATABASE_URL: databaseUrl });
}

/** Runs a command that must succeed and print exactly one JSON line. */
async function cliJson<T>(...args: string[]): Promise<T> {
  const result = await cli(...args);
  expect(result.code, result.stderr).toBe(0);
  const lines = result.stdout.split("\n").filter(Boolean);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as T;
}

async function meStatus(token: string): Promise<number> {
  const response = await server.fetch("/api/v1/me", { token });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "officellm-cli-"));
  databaseUrl = `sqlite:${join(dir, "officellm.db")}`;
  store = await openStore(databaseUrl);
  // The command line uses the real clock; so does this server's.
  server = await startTestServer({
    store,
    clock: new TestClock(new Date().toISOString()),
    env: { RATE_LIMIT_RPM: "1000" },
  });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("officellm token create", () => {
  it("prints one JSON line with the id and a secret that works against the server", async () => {
    const before = Date.now();
    const created = await cliJson<Record<string, unknown>>(
      "token",
      "create",
      "--name",
      "alice",
      "--scopes",
      "llm,admin",
      "--rpm",
      "5",
      "--budget",
      "10",
      "--expires",
      "30d",
    );
    expect(Object.keys(created).sort()).toEqual(["id", "token"]);
    expect(created.token).toMatch(SECRET);
    const token = created.token as string;

    const response = await server.fetch("/api/v1/me", { token });
    expect(response.status).toBe(200);
    const me = (await response.json()) as {
      id: string;
      name: string;
      scopes: string[];
      expiresAt: string;
      limits: { requestsPerMinute: number; monthlyBudgetUsd: number };
    };
    expect(me).toMatchObject({
      id: created.id,
      name: "alice",
      scopes: ["llm", "admin"],
      limits: { requestsPerMinute: 5, monthlyBudgetUsd: 10 },
    });
    const expires = Date.parse(me.expiresAt) - before;
    expect(expires).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(expires).toBeLessThan(30 * 86_400_000 + 60_000);

    // The admin scope it was given works too.
    const list = await server.fetch("/api/v1/admin/tokens", { token });
    expect(list.status).toBe(200);
    await list.arrayBuffer();
  });
});

describe("officellm token list, rotate and revoke", () => {
  let id: string;
  let secret: string;
  beforeAll(async () => {
    ({ id, token: secret } = await cliJson<{ id: string; token: string }>(
      "token",
      "create",
      "--name",
      "bob",
    ));
  });

  it("lists tokens as JSON without any secret or hash", async () => {
    const result = await cli("token", "list");
    expect(result.code, result.stderr).toBe(0);
    const list = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(Array.isArray(list)).toBe(true);
    const bob = list.find((t) => t.id === id);
    expect(bob).toMatchObject({ name: "bob", scopes: ["llm"], prefix: secret.slice(0, 12) });
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(secret.slice(12));
    expect(result.stdout).not.toContain(createHash("sha256").update(secret).digest("hex"));
    for (const token of list) {
      expect(Object.keys(token).join(",")).not.toMatch(/hash|secret"|token/i);
    }
  });

  it("rotates with a grace period: a new secret, and the old one still works", async () => {
    const before = Date.now();
    const rotated = await cliJson<{ id: string; token: string; previousSecretValidUntil: string }>(
      "token",
      "rotate",
      id,
      "--grace",
      "1h",
    );
    expect(rotated.id).toBe(id);
    expect(rotated.token).toMatch(SECRET);
    expect(rotated.token).not.toBe(secret);
    const grace = Date.parse(rotated.previousSecretValidUntil) - before;
    expect(grace).toBeGreaterThanOrEqual(3_600_000);
    expect(grace).toBeLessThan(3_600_000 + 60_000);
    expect(await meStatus(secret)).toBe(200);
    expect(await meStatus(rotated.token)).toBe(200);
    secret = rotated.token;
  });

  it("revokes: the token stops working at once", async () => {
    expect(await meStatus(secret)).toBe(200);
    const revoked = await cliJson<{ id: string; revokedAt: string | null }>("token", "revoke", id);
    expect(revoked.id).toBe(id);
    expect(revoked.revokedAt).not.toBeNull();
    expect(await meStatus(secret)).toBe(401);
  });

  it("fails on an unknown id", async () => {
    const result = await cli("token", "revoke", "tok_doesnotexist");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("tok_doesnotexist");
    expect(result.stderr).not.toContain("    at ");
  });
});

describe("officellm token update", () => {
  it("changes limits, name, scopes and expiry; the server applies them; list shows the limits", async () => {
    const { id, token } = await cliJson<{ id: string; token: string }>(
      "token",
      "create",
      "--name",
      "carol",
    );
    const listed = async () =>
      (await cliJson<Record<string, unknown>[]>("token", "list")).find((t) => t.id === id);
    // Without its own rpm, the token runs at the server's default (RATE_LIMIT_RPM, 60 here).
    expect(await listed()).toMatchObject({
      rpm: null,
      limits: { requestsPerMinute: 60, monthlyBudgetUsd: null },
    });

    const before = Date.now();
    const updated = await cliJson<Record<string, unknown>>(
      "token",
      "update",
      id,
      "--rpm",
      "7",
      "--budget",
      "2.5",
      "--name",
      "carol (finance)",
      "--scopes",
      "llm,calendar",
      "--expires",
      "2d",
    );
    expect(updated).toMatchObject({
      id,
      name: "carol (finance)",
      scopes: ["llm", "calendar"],
      limits: { requestsPerMinute: 7, monthlyBudgetUsd: 2.5 },
    });
    const expires = Date.parse(String(updated.expiresAt)) - before;
    expect(expires).toBeGreaterThanOrEqual(2 * 86_400_000);
    expect(expires).toBeLessThan(2 * 86_400_000 + 60_000);
    expect(JSON.stringify(updated)).not.toContain(token);

    const me = await server.fetch("/api/v1/me", { token });
    expect(await me.json()).toMatchObject({
      name: "carol (finance)",
      limits: { requestsPerMinute: 7, monthlyBudgetUsd: 2.5 },
    });

    const audit = await store.audit.list(10);
    expect(audit.find((e) => e.action === "token.updated" && e.subject === id)).toMatchObject({
      actorTokenId: null,
      detail: { changes: { rpm: { from: null, to: 7 }, budgetUsd: { from: null, to: 2.5 } } },
    });

    // Back to the default rpm, no budget, no expiry; an absolute date works too.
    const cleared = await cliJson<Record<string, unknown>>(
      "token",
      "update",
      id,
      "--rpm",
      "default",
      "--budget",
      "none",
      "--expires",
      "never",
    );
    expect(cleared).toMatchObject({
      rpm: null,
      budgetUsd: null,
      expiresAt: null,
      limits: { requestsPerMinute: 60, monthlyBudgetUsd: null },
    });
    const dated = await cliJson<Record<string, unknown>>(
      "token",
      "update",
      id,
      "--expires",
      "2099-06-30T18:00:00Z",
    );
    expect(dated.expiresAt).toBe("2099-06-30T18:00:00.000Z");
    expect(await listed()).toMatchObject({ expiresAt: "2099-06-30T18:00:00.000Z" });
  });

  it("refuses a past expiry and an unknown id with a message, changing nothing", async () => {
    const { id } = await cliJson<{ id: string }>("token", "create", "--name", "dave");
    const past = await cli("token", "update", id, "--expires", "2001-01-01");
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/future/);
    expect((await store.tokens.findById(id))?.expires_at).toBeNull();

    const noScopes = await cli("token", "update", id, "--scopes", ",");
    expect(noScopes.code).toBe(1);
    expect(noScopes.stderr).toMatch(/at least one scope/);
    expect((await store.tokens.findById(id))?.scopes).toBe("llm");

    const unknown = await cli("token", "update", "tok_doesnotexist", "--rpm", "5");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("tok_doesnotexist");
  });
});

describe("help", () => {
  it("lists the token commands with units for token --help", async () => {
    const result = await cli("token", "--help");
    expect(result.code).toBe(0);
    for (const command of ["create", "list", "update", "revoke", "rotate"]) {
      expect(result.stdout).toContain(`token ${command}`);
    }
    expect(result.stdout).toMatch(/requests per minute/);
    expect(result.stdout).toMatch(/US dollars per calendar month/);
  });

  const commands: [string, RegExp[]][] = [
    ["create", [/--name/, /requests per minute/, /US dollars per calendar month/, /30d/]],
    ["update", [/--rpm N\|default/, /US dollars per calendar month/, /never/, /ISO 8601/]],
    ["list", [/RATE_LIMIT_RPM/]],
    ["revoke", [/within 1 s/]],
    ["rotate", [/--grace/]],
  ];
  for (const [command, patterns] of commands) {
    it(`explains token ${command} on its own`, async () => {
      const result = await cli("token", command, "--help");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: officellm token ${command}`));
      for (const pattern of patterns) expect(result.stdout).toMatch(pattern);
      // Only that command.
      const others = ["create", "update", "revoke", "rotate"].filter((c) => c !== command);
      for (const other of others) expect(result.stdout).not.toContain(`token ${other}`);
    });
  }
});

describe("help for backup and restore", () => {
  const commands: [string, RegExp[]][] = [
    ["backup", [/^Usage: officellm backup PATH/, /while servers keep running/]],
    [
      "restore",
      [/^Usage: officellm restore FILE/, /must be stopped/, /before-restore/, /pg_restore/],
    ],
  ];
  for (const [command, patterns] of commands) {
    it(`explains ${command} on its own`, async () => {
      const result = await cli(command, "--help");
      expect(result.code).toBe(0);
      for (const pattern of patterns) expect(result.stdout).toMatch(pattern);
      expect(result.stdout).not.toContain("token create");
    });
  }
});

describe("a server's read cache and the command line", () => {
  const REDIS_URL = process.env.REDIS_URL;
  let cached: TestServer | undefined;
  let redis: Redis | undefined;
  afterEach(async () => {
    await cached?.close();
    await cached?.store.close();
    await redis?.quit();
    cached = redis = undefined;
  });

  /** A server that caches token rows, as main.ts builds it, over the command line's database. */
  async function cachingServer(withRedis: boolean): Promise<TestServer> {
    const clock = new TestClock(new Date().toISOString());
    redis = withRedis ? new Redis(REDIS_URL!) : undefined;
    const cachedStore = await openCachedStore(databaseUrl, { clock, redis });
    cached = await startTestServer({ store: cachedStore, clock });
    return cached;
  }

  async function status(server: TestServer, token: string): Promise<number> {
    const response = await server.fetch("/api/v1/me", { token });
    await response.arrayBuffer();
    return response.status;
  }

  // Without Redis, as with it: the server follows the database's token change counter.
  for (const withRedis of REDIS_URL ? [false, true] : [false]) {
    it(`${withRedis ? "with" : "without"} Redis, has revokes and rotations refused at once`, async () => {
      const server = await cachingServer(withRedis);
      const revoked = await server.token();
      const rotated = await server.token();
      for (const { token } of [revoked, rotated]) expect(await status(server, token)).toBe(200);

      const env = { DATABASE_URL: databaseUrl, ...(withRedis ? { REDIS_URL: REDIS_URL! } : {}) };
      const revoke = await runNode("server/cli/main.ts", ["token", "revoke", revoked.id], env);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stderr).toBe("");
      expect(await status(server, revoked.token)).toBe(401);

      const rotate = await runNode("server/cli/main.ts", ["token", "rotate", rotated.id], env);
      expect(rotate.code, rotate.stderr).toBe(0);
      expect(await status(server, rotated.token)).toBe(401);
      const renewed = (JSON.parse(rotate.stdout) as { token: string }).token;
      expect(await status(server, renewed)).toBe(200);
    });
  }

  it("revokes without needing Redis, even when REDIS_URL names one that is unreachable", async () => {
    const { id } = await cliJson<{ id: string }>("token", "create", "--name", "lagging");
    const result = await runNode("server/cli/main.ts", ["token", "revoke", id], {
      DATABASE_URL: databaseUrl,
      REDIS_URL: "redis://127.0.0.1:1",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, revokedAt: expect.any(String) });
    expect(result.stderr).toBe("");
    expect((await store.tokens.findById(id))?.revoked_at).not.toBeNull();
  });
});

describe("bad usage", () => {
  const cases: [string, string[], RegExp][] = [
    ["create without --name", ["token", "create", "--scopes", "llm"], /--name/],
    ["an unknown scope", ["token", "create", "--name", "x", "--scopes", "llm,root"], /root/],
    ["a negative --rpm", ["token", "create", "--name", "x", "--rpm", "-1"], /rpm/],
    ["a fractional --rpm", ["token", "create", "--name", "x", "--rpm", "1.5"], /rpm/],
    ["a bad --expires", ["token", "create", "--name", "x", "--expires", "5y"], /5y/],
    ["an unknown command", ["frobnicate"], /frobnicate/],
    ["an unknown token command", ["token", "explode"], /explode/],
    ["update without an ID", ["token", "update"], /needs an ID/],
    ["update with nothing to change", ["token", "update", "tok_x"], /something to change/],
    ["update with a bad --rpm", ["token", "update", "tok_x", "--rpm", "lots"], /--rpm/],
    ["update with a bad --budget", ["token", "update", "tok_x", "--budget", "0"], /--budget/],
    ["update with a bad --expires", ["token", "update", "tok_x", "--expires", "soon"], /soon/],
  ];
  for (const [label, args, message] of cases) {
    it(`exits non-zero with a message on stderr for ${label}`, async () => {
      const result = await cli(...args);
      expect(result.timedOut).toBe(false);
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain("    at ");
      expect(result.stdout).not.toMatch(/ollm_/);
    });
  }

  it("creates nothing on bad usage", async () => {
    const before = (await store.tokens.list()).map((t) => t.name);
    expect(before).not.toContain("x");
  });

  it("prints usage when given no arguments", async () => {
    const result = await cli();
    expect(result.timedOut).toBe(false);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toMatch(/Usage/);
    for (const command of [
      "token create",
      "token list",
      "token revoke",
      "token rotate",
      "token update",
      "backup",
    ]) {
      expect(output).toContain(command);
    }
  });
});

describe("officellm backup", () => {
  it("copies the database while a server is using it", async () => {
    const tokens = await Promise.all(
      ["one", "two", "three"].map((name) => server.tokens.create({ name, scopes: ["llm"] })),
    );
    for (const { token } of tokens) expect(await meStatus(token)).toBe(200);

    const path = join(dir, "copy.db");
    const result = await cli("backup", path);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ backup: path });

    const copy = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      const ids = (copy.prepare("select id from tokens").all() as { id: string }[]).map(
        (row) => row.id,
      );
      for (const { id } of tokens) expect(ids).toContain(id);
      expect(ids.length).toBe(await store.tokens.count());
    } finally {
      copy.close();
    }

    // And the copy opens as a store of its own.
    const restored = await openStore(`sqlite:${path}`);
    try {
      expect((await restored.tokens.findById(tokens[0]!.id))?.name).toBe("one");
    } finally {
      await restored.close();
    }
    // The server carried on.
    expect(await meStatus(tokens[1]!.token)).toBe(200);
  });

  it("needs a path", async () => {
    const result = await cli("backup");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/PATH/);
  });
});
