import { rmSync } from "node:fs";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openStore, type Store } from "../store/store.ts";
import { UsageRepository } from "../store/usage-repository.ts";
import { UsageWriter } from "../store/usage-writer.ts";
import { startTestServer, tempSqliteUrl, type TestServer } from "../test/harness.ts";

interface Envelope {
  error: {
    code: string;
    message: string;
    requestId: string;
    details?: { path: string; message: string }[];
  };
}

/**
 * Checks a response is the error envelope with this status and code, and nothing more:
 * `{"error":{"code","message","requestId"(,"details")}}`, its request id that of the header.
 */
async function expectError(response: Response, status: number, code: string): Promise<Envelope> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Envelope;
  expect(Object.keys(body)).toEqual(["error"]);
  const keys = Object.keys(body.error).sort();
  expect(
    keys.filter((key) => key !== "details"),
    text,
  ).toEqual(["code", "message", "requestId"]);
  expect(keys.length).toBeLessThanOrEqual(4);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toBeTruthy();
  expect(body.error.requestId).toBe(response.headers.get("x-request-id"));
  if ("details" in body.error) {
    expect(Array.isArray(body.error.details)).toBe(true);
    for (const detail of body.error.details!) {
      expect(Object.keys(detail).sort()).toEqual(["message", "path"]);
    }
  }
  return body;
}

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({
    env: { AUTH_FAILURES_PER_MINUTE: "100000", RATE_LIMIT_RPM: "100000" },
  });
  admin = (await server.token({ name: "admin", scopes: ["admin"] })).token;
});
afterAll(() => server.close());

const json = { "content-type": "application/json" };

function createToken(body: BodyInit, headers: Record<string, string> = json) {
  return server.fetch("/api/v1/admin/tokens", { method: "POST", token: admin, headers, body });
}

describe("bodies that cannot be read", () => {
  it("answers malformed JSON with 400 invalid_request", async () => {
    const body = await expectError(await createToken('{"name": "oops",'), 400, "invalid_request");
    expect(body.error.message).toMatch(/not valid JSON/);
  });

  it("answers a text/plain body with 415 unsupported_media_type", async () => {
    const response = await createToken('{"name":"plain"}', { "content-type": "text/plain" });
    const body = await expectError(response, 415, "unsupported_media_type");
    expect(body.error.message).toMatch(/application\/json/);
  });

  it("answers JSON in a charset other than UTF-8 with 415", async () => {
    const response = await createToken('{"name":"latin"}', {
      "content-type": "application/json; charset=latin1",
    });
    await expectError(response, 415, "unsupported_media_type");
  });

  it("creates nothing from a refused body", async () => {
    const before = (await server.tokens.list()).length;
    await createToken("{", json);
    await createToken('{"name":"plain"}', { "content-type": "text/plain" });
    expect((await server.tokens.list()).length).toBe(before);
  });
});

describe("bodies that break the route's schema", () => {
  const cases: [string, unknown, string, RegExp?][] = [
    ["a missing name", {}, "body.name"],
    ["a name of the wrong type", { name: 42 }, "body.name"],
    ["an empty name", { name: "   " }, "body.name"],
    ["an unknown scope", { name: "x", scopes: ["llm", "root"] }, "body.scopes.1"],
    ["rpm of the wrong type", { name: "x", rpm: "sixty" }, "body.rpm"],
  ];
  for (const [label, payload, path] of cases) {
    it(`answers ${label} with 400 naming ${path}`, async () => {
      const body = await expectError(
        await createToken(JSON.stringify(payload)),
        400,
        "invalid_request",
      );
      expect(body.error.message.startsWith(`${path}:`), body.error.message).toBe(true);
      expect(body.error.details?.map((detail) => detail.path)).toContain(path);
    });
  }

  it("answers an unknown extra field with 400 naming the field", async () => {
    const body = await expectError(
      await createToken(JSON.stringify({ name: "x", sneaky: true })),
      400,
      "invalid_request",
    );
    expect(body.error.message).toContain("sneaky");
    expect(body.error.details?.length).toBeGreaterThan(0);
    expect(body.error.details).toEqual([{ path: "body.sneaky", message: "is not a known field" }]);
  });

  it("reports every bad field, and counts the others in the message", async () => {
    const body = await expectError(
      await createToken(JSON.stringify({ name: 1, scopes: ["nope"], rpm: -1 })),
      400,
      "invalid_request",
    );
    const paths = body.error.details!.map((detail) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(["body.name", "body.scopes.0", "body.rpm"]));
    expect(body.error.message).toMatch(/\(and 2 more\)$/);
  });

  it("lists the first 20 bad fields and counts all of them, however many there are", async () => {
    const fields = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`extra${i}`, i]));
    const body = await expectError(
      await createToken(JSON.stringify({ name: "x", ...fields })),
      400,
      "invalid_request",
    );
    expect(body.error.details).toHaveLength(20);
    expect(body.error.details![0]).toEqual({
      path: "body.extra0",
      message: "is not a known field",
    });
    expect(body.error.message).toMatch(/\(and 4999 more\)$/);
  });

  it("answers a query that breaks the schema with 400 naming the parameter", async () => {
    const response = await server.fetch("/api/v1/admin/audit?limit=0", { token: admin });
    const body = await expectError(response, 400, "invalid_request");
    expect(body.error.details?.map((detail) => detail.path)).toEqual(["query.limit"]);
  });
});

describe("oversized bodies", () => {
  it("answers a body over BODY_LIMIT with 413 payload_too_large", async () => {
    const small = await startTestServer({ env: { BODY_LIMIT: "1kb" } });
    try {
      const { token } = await small.token({ scopes: ["admin"] });
      const post = (body: string) =>
        small.fetch("/api/v1/admin/tokens", { method: "POST", token, headers: json, body });

      const big = JSON.stringify({ name: "big", padding: "x".repeat(2048) });
      const body = await expectError(await post(big), 413, "payload_too_large");
      expect(body.error.message).toContain("1024");

      // Just under the limit is read (and then judged by the schema).
      const fits = JSON.stringify({ name: "fits", padding: "x".repeat(900) });
      expect(Buffer.byteLength(fits)).toBeLessThan(1024);
      await expectError(await post(fits), 400, "invalid_request");
    } finally {
      await small.close();
    }
  });
});

describe("compressed bodies", () => {
  const name = JSON.stringify({ name: "compressed" });
  const encoders: [string, (data: Buffer) => Buffer][] = [
    ["gzip", gzipSync],
    ["deflate", deflateSync],
    ["br", brotliCompressSync],
  ];

  for (const [encoding, encode] of encoders) {
    it(`reads a ${encoding} body`, async () => {
      const response = await createToken(new Uint8Array(encode(Buffer.from(name))), {
        ...json,
        "content-encoding": encoding,
      });
      expect(response.status, await response.clone().text()).toBe(201);
    });

    it(`answers a body that is not the ${encoding} it claims with 400 naming ${encoding}`, async () => {
      const body = await expectError(
        await createToken(name, { ...json, "content-encoding": encoding }),
        400,
        "invalid_request",
      );
      expect(body.error.message).toContain(encoding);
    });

    it(`answers a broken ${encoding} body from a caller without a token with 401, unread`, async () => {
      const response = await server.fetch("/api/v1/admin/tokens", {
        method: "POST",
        headers: { ...json, "content-encoding": encoding },
        body: "not compressed",
      });
      await expectError(response, 401, "unauthorized");
    });
  }

  it("answers a body that inflates past BODY_LIMIT with 413", async () => {
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(16 * 1024 * 1024, " ")));
    expect(bomb.length).toBeLessThan(server.config.limits.bodyBytes);
    await expectError(
      await createToken(bomb, { ...json, "content-encoding": "gzip" }),
      413,
      "payload_too_large",
    );
  });

  for (const encoding of ["xz", "gzip, gzip", "compress"]) {
    it(`answers Content-Encoding '${encoding}' with 415`, async () => {
      const response = await createToken(name, { ...json, "content-encoding": encoding });
      const body = await expectError(response, 415, "unsupported_media_type");
      expect(body.error.message).toMatch(/Content-Encoding/);
    });
  }
});

describe("deeply nested bodies", () => {
  let llm: string;
  beforeAll(async () => {
    llm = (await server.token({ scopes: ["llm"] })).token;
  });

  const complete = (body: string) =>
    server.fetch("/api/v1/completions", { method: "POST", token: llm, headers: json, body });
  /** A JSON Schema of arrays of arrays `levels` deep: twice as many levels of JSON nesting. */
  const deepSchema = (levels: number) =>
    '{"type":"array","items":'.repeat(levels) + '{"type":"string"}' + "}".repeat(levels);

  it("answers a body nested deeper than JSON_MAX_DEPTH with 400 naming the limit", async () => {
    const schema = deepSchema(10_000);
    const response = await complete(
      `{"prompt":"x","responseFormat":{"type":"json","schema":${schema}}}`,
    );
    const body = await expectError(response, 400, "invalid_request");
    expect(body.error.message).toMatch(/more than 64 levels deep/);
  });

  it("answers 100,000 nested arrays with 400, not a stack overflow", async () => {
    const response = await complete("[".repeat(100_000) + "]".repeat(100_000));
    const body = await expectError(response, 400, "invalid_request");
    expect(body.error.message).toMatch(/more than 64 levels deep/);
  });

  it("reads a body exactly JSON_MAX_DEPTH deep, and refuses one level more", async () => {
    // The body object is one level; the arrays in its field make up the rest.
    const withArrays = (count: number) =>
      `{"name":"deep","deep":${"[".repeat(count)}${"]".repeat(count)}}`;
    const fits = await expectError(await createToken(withArrays(63)), 400, "invalid_request");
    expect(fits.error.details).toEqual([{ path: "body.deep", message: "is not a known field" }]);
    const deeper = await expectError(await createToken(withArrays(64)), 400, "invalid_request");
    expect(deeper.error.message).toMatch(/more than 64 levels deep/);
  });
});

describe("unknown routes and methods", () => {
  it("answers an unknown path with 404 not_found", async () => {
    const body = await expectError(await server.fetch("/api/v1/nothing-here"), 404, "not_found");
    expect(body.error.message).toContain("/api/v1/nothing-here");
    await expectError(await server.fetch("/docs/assets/no-such-file.js"), 404, "not_found");
  });

  const cases: [string, string, string[]][] = [
    ["POST", "/health", ["GET", "HEAD"]],
    ["PUT", "/api/v1/me", ["GET", "HEAD"]],
    ["DELETE", "/api/v1/admin/tokens", ["GET", "HEAD", "POST"]],
    ["GET", "/api/v1/admin/tokens/some-id/rotate", ["POST"]],
  ];
  for (const [method, path, allowed] of cases) {
    it(`answers ${method} ${path} with 405 and Allow: ${allowed.join(", ")}`, async () => {
      const response = await server.fetch(path, { method });
      const allow = response.headers.get("allow");
      const body = await expectError(response, 405, "method_not_allowed");
      expect(
        allow
          ?.split(",")
          .map((m) => m.trim())
          .sort(),
      ).toEqual([...allowed].sort());
      expect(body.error.message).toContain(method);
    });
  }
});

describe("how paths match routes", () => {
  it("matches a path with a trailing slash or in other letter case, as Express would", async () => {
    for (const path of ["/api/v1/me/", "/API/V1/ME"]) {
      const response = await server.fetch(path, { token: admin });
      expect(response.status, path).toBe(200);
      expect(((await response.json()) as { name: string }).name).toBe("admin");
    }
  });

  it("fills path parameters, decoded", async () => {
    const response = await server.fetch("/api/v1/admin/tokens/no%20such", {
      method: "DELETE",
      token: admin,
    });
    const body = await expectError(response, 404, "not_found");
    expect(body.error.message).toContain("no such");
  });

  it("answers malformed percent-encoding in any path parameter with 400, token or not", async () => {
    const parameterised = server.app.routeTable.filter((route) => route.path.includes(":"));
    expect(parameterised.length).toBeGreaterThan(0);
    for (const route of parameterised) {
      const path = route.path.replace(/:\w+/g, "%ff");
      for (const token of [undefined, admin]) {
        const response = await server.fetch(path, {
          method: route.method.toUpperCase(),
          ...(token ? { token } : {}),
        });
        const body = await expectError(response, 400, "invalid_request");
        expect(body.error.message, `${route.method} ${path}`).toMatch(/percent-encoding/);
      }
    }
  });

  it("answers HEAD on a GET route with the headers and no body", async () => {
    const response = await server.fetch("/health", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe("");
  });
});

describe("request ids", () => {
  it("gives each request a fresh id when none is sent", async () => {
    const first = await server.fetch("/nowhere");
    const second = await server.fetch("/nowhere");
    const a = (await expectError(first, 404, "not_found")).error.requestId;
    const b = (await expectError(second, 404, "not_found")).error.requestId;
    expect(a).not.toBe(b);
  });

  it("echoes a sane incoming x-request-id, on success and on error", async () => {
    const ok = await server.fetch("/health", { headers: { "x-request-id": "flow-42.step:3_a" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toBe("flow-42.step:3_a");

    const failed = await server.fetch("/nowhere", { headers: { "x-request-id": "abc-123" } });
    expect((await expectError(failed, 404, "not_found")).error.requestId).toBe("abc-123");
  });

  const insane: [string, string][] = [
    ["300 characters long", "a".repeat(300)],
    ["with spaces", "two words"],
    ["with markup", "<script>alert(1)</script>"],
  ];
  for (const [label, incoming] of insane) {
    it(`replaces an incoming id ${label}`, async () => {
      const response = await server.fetch("/nowhere", { headers: { "x-request-id": incoming } });
      const body = await expectError(response, 404, "not_found");
      expect(body.error.requestId).not.toBe(incoming);
      expect(body.error.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    });
  }
});

/** The real SQLite store, with a usage ledger whose `spendSince` misbehaves. */
async function storeWithSpend(
  spendSince: () => Promise<number>,
): Promise<{ store: Store; close(): Promise<void> }> {
  const sqlite = tempSqliteUrl();
  const real = await openStore(sqlite.url);
  class MisbehavingUsage extends UsageRepository {
    override spendSince(): Promise<number> {
      return spendSince();
    }
  }
  return {
    store: { ...real, usage: new MisbehavingUsage(real.db, real.dialect) },
    async close() {
      await real.close();
      rmSync(sqlite.dir, { recursive: true, force: true });
    },
  };
}

describe("unexpected exceptions", () => {
  const leak = "boom sk-live-SECRET1234567890abcdef at /secret/path";

  it("answer 500 internal with neither stack nor secret, and are logged scrubbed", async () => {
    const broken = await storeWithSpend(async () => {
      throw new Error(leak);
    });
    const failing = await startTestServer({ store: broken.store });
    try {
      const { token } = await failing.token();
      const response = await failing.fetch("/api/v1/me", { token });
      const text = await response.clone().text();
      const body = await expectError(response, 500, "internal");
      for (const forbidden of ["boom", "sk-live", "SECRET", "stack", "/secret/path", "at "]) {
        expect(text).not.toContain(forbidden);
      }
      expect(body.error.message).toMatch(/request id/);

      const record = failing.logs
        .records()
        .find((line) => line.msg === "unexpected error" && line.requestId === body.error.requestId);
      expect(record, failing.logs.text).toBeDefined();
      const err = record!.err as { message: string; stack: string };
      expect(err.message).toContain("boom");
      expect(err.message).toContain("sk-[redacted]");
      expect(err.stack).toMatch(/\n\s+at /);
      expect(failing.logs.text).not.toContain("sk-live");
      expect(failing.logs.text).not.toContain("SECRET1234567890abcdef");
      expect(failing.logs.text).not.toContain(token);

      // The server goes on answering.
      expect((await failing.fetch("/health")).status).toBe(200);
    } finally {
      await failing.close();
      await broken.close();
    }
  });
});

describe("request timeout", () => {
  it("answers a request that outlives REQUEST_TIMEOUT_MS with 503 unavailable", async () => {
    // The handler waits for the store until the test lets it go: only the timeout can answer.
    let release: (value: number) => void = () => {};
    let waiting = false;
    const slow = await storeWithSpend(
      () =>
        new Promise<number>((resolve) => {
          waiting = true;
          release = resolve;
        }),
    );
    const timed = await startTestServer({
      store: slow.store,
      env: { REQUEST_TIMEOUT_MS: "200" },
    });
    try {
      const { token } = await timed.token();
      const response = await timed.fetch("/api/v1/me", { token });
      const body = await expectError(response, 503, "unavailable");
      expect(body.error.message).toContain("200 ms");
      expect(waiting).toBe(true);

      // The late answer of the handler is dropped without breaking the server (it is handled
      // in the promise jobs that follow the release, before the next request comes in).
      release(0);
      expect((await timed.fetch("/health")).status).toBe(200);
    } finally {
      await timed.close();
      await slow.close();
    }
  });

  it("drops a completion answered after the timeout, its headers included, without an unexpected error", async () => {
    // The usage ledger waits until the test lets it go: the call is made, its row not yet kept.
    const { timed, real, held, release, close } = await serverWithHeldLedger();
    held.now = true;
    try {
      const { id, token } = await timed.token();
      const response = await timed.fetch("/api/v1/completions", {
        method: "POST",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Late" }),
      });
      const body = await expectError(response, 503, "unavailable");
      expect(body.error.message).toContain("300 ms");
      expect(held.waited).toBe(true);

      release();
      await vi.waitFor(async () => expect(await real.usage.listForToken(id)).toHaveLength(1));
      expect((await timed.fetch("/health")).status).toBe(200);
      expect(timed.logs.text).not.toMatch(/unexpected error/);
    } finally {
      await close();
    }
  });

  it("drops a stream opened after the timeout without an unexpected error", async () => {
    // The usage ledger waits, once the answer is cached, until the test lets it go: a cache hit
    // streamed is recorded before its stream opens, so the stream opens after the timeout's 503.
    const { timed, real, held, release, close } = await serverWithHeldLedger();
    const ask = (token: string, stream: boolean) =>
      timed.fetch("/api/v1/completions", {
        method: "POST",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Late stream", temperature: 0, stream }),
      });
    try {
      const { id, token } = await timed.token();
      expect((await ask(token, false)).status).toBe(200);
      held.now = true;

      const body = await expectError(await ask(token, true), 503, "unavailable");
      expect(body.error.message).toContain("300 ms");
      expect(held.waited).toBe(true);

      release();
      await vi.waitFor(async () => expect(await real.usage.listForToken(id)).toHaveLength(2));
      expect((await timed.fetch("/health")).status).toBe(200);
      expect(timed.logs.text).not.toMatch(/unexpected error/);
    } finally {
      await close();
    }
  });
});

/**
 * A test server (REQUEST_TIMEOUT_MS 300) on an SQLite file whose usage ledger, once `held.now`
 * is set, holds each write until `release()`: a call is made and answered, its row not yet kept.
 * `held.waited` says a write was held.
 */
async function serverWithHeldLedger() {
  const sqlite = tempSqliteUrl();
  const real = await openStore(sqlite.url);
  const held = { now: false, waited: false };
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  class HeldUsage extends UsageRepository {
    override async insertMany(...args: Parameters<UsageRepository["insertMany"]>) {
      if (held.now) {
        held.waited = true;
        await released;
      }
      return super.insertMany(...args);
    }
  }
  const usage = new HeldUsage(real.db, real.dialect);
  const timed = await startTestServer({
    store: { ...real, usage, usageWriter: new UsageWriter(usage) },
    env: { REQUEST_TIMEOUT_MS: "300" },
  });
  const close = async () => {
    await timed.close();
    await real.close();
    rmSync(sqlite.dir, { recursive: true, force: true });
  };
  return { timed, real, held, release: () => release(), close };
}
