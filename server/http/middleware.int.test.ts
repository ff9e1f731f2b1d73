import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";

const publicUrl = "https://officellm.example.com";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      PUBLIC_URL: publicUrl,
      AUTH_FAILURES_PER_MINUTE: "100000",
      RATE_LIMIT_RPM: "100000",
    },
  });
});
afterAll(() => server.close());

describe("security headers", () => {
  it("sets helmet's headers and hides the framework", async () => {
    for (const path of ["/health", "/api/v1/me", "/nowhere"]) {
      const response = await server.fetch(path);
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      const csp = response.headers.get("content-security-policy");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'self'");
      expect(response.headers.get("x-frame-options"), path).toBe("SAMEORIGIN");
      expect(response.headers.has("x-powered-by"), path).toBe(false);
    }
  });

  it("sends HSTS and upgrade-insecure-requests when PUBLIC_URL is https", async () => {
    const response = await server.fetch("/health");
    expect(response.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(response.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
  });

  it("sends no HSTS for an https loopback origin used in development", async () => {
    const local = await startTestServer({ env: { PUBLIC_URL: "https://localhost:3000" } });
    try {
      const response = await local.fetch("/health");
      expect(response.headers.has("strict-transport-security")).toBe(false);
      expect(response.headers.get("content-security-policy")).toContain(
        "upgrade-insecure-requests",
      );
    } finally {
      await local.close();
    }
  });

  it("sends neither when PUBLIC_URL is http", async () => {
    const plain = await startTestServer({ env: { PUBLIC_URL: "http://officellm.internal:3000" } });
    try {
      const response = await plain.fetch("/health");
      expect(response.status).toBe(200);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.has("strict-transport-security")).toBe(false);
      expect(response.headers.get("content-security-policy")).not.toContain(
        "upgrade-insecure-requests",
      );
      expect(response.headers.has("x-powered-by")).toBe(false);
    } finally {
      await plain.close();
    }
  });
});

/** A raw GET, so the body arrives exactly as sent (fetch would decompress it). */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("compression", () => {
  it("gzips the OpenAPI document for a client that accepts it", async () => {
    const response = await rawGet("/api/v1/openapi.json", { "accept-encoding": "gzip" });
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBe("gzip");
    const document = JSON.parse(gunzipSync(response.body).toString("utf8")) as {
      openapi: string;
    };
    expect(document.openapi).toBe("3.1.0");
    expect(response.body.length).toBeLessThan(gunzipSync(response.body).length);
  });

  it("sends it plain to a client that does not", async () => {
    const response = await rawGet("/api/v1/openapi.json", { "accept-encoding": "identity" });
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBeUndefined();
    expect((JSON.parse(response.body.toString("utf8")) as { openapi: string }).openapi).toBe(
      "3.1.0",
    );
  });
});

describe("the request log", () => {
  /** The request log lines (not other lines) written for one request id. */
  const requestLines = (requestId: string) =>
    server.logs
      .records()
      .filter(
        (line) =>
          line.requestId === requestId && (line.msg === "request" || line.msg === "request failed"),
      );

  /**
   * Waits for the request's line, written when its response closes; a response closes once, and
   * the log is written as it is made, so a second line would already be there.
   */
  async function lineFor(requestId: string) {
    await vi.waitFor(() => expect(requestLines(requestId).length).toBeGreaterThan(0), {
      timeout: 20_000,
    });
    const lines = requestLines(requestId);
    expect(lines, JSON.stringify(lines)).toHaveLength(1);
    return lines[0]!;
  }

  it("is every line valid JSON", () => {
    expect(server.logs.lines.length).toBeGreaterThan(0);
    expect(() => server.logs.records()).not.toThrow();
  });

  it("writes one line for an authenticated call, with route, status, duration and token", async () => {
    const { id, token } = await server.token({ name: "logged" });
    const response = await server.fetch("/api/v1/me?x=1", {
      token,
      headers: { "x-request-id": "log-me-1" },
    });
    expect(response.status).toBe(200);
    const line = await lineFor("log-me-1");
    expect(line).toMatchObject({
      msg: "request",
      requestId: "log-me-1",
      method: "GET",
      route: "/api/v1/me",
      status: 200,
      tokenId: id,
    });
    expect(typeof line.durationMs).toBe("number");
    expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(server.logs.text).not.toContain(token);
  });

  it("names a parameterised route by its pattern, not by the id in the URL", async () => {
    const admin = await server.token({ name: "log-admin", scopes: ["admin"] });
    const target = await server.token({ name: "log-target" });
    const response = await server.fetch(`/api/v1/admin/tokens/${target.id}`, {
      method: "DELETE",
      token: admin.token,
      headers: { "x-request-id": "log-delete-1" },
    });
    expect(response.status).toBe(200);
    const line = await lineFor("log-delete-1");
    expect(line).toMatchObject({
      method: "DELETE",
      route: "/api/v1/admin/tokens/:id",
      status: 200,
      tokenId: admin.id,
    });
  });

  it("writes one line for a refused call, without the presented secret or header", async () => {
    const { id, token } = await server.token({ name: "refused" });
    await server.tokens.revoke(id);
    const response = await server.fetch("/api/v1/me", {
      token,
      headers: { "x-request-id": "log-refused-1" },
    });
    expect(response.status).toBe(401);
    const line = await lineFor("log-refused-1");
    expect(line).toMatchObject({ method: "GET", status: 401 });
    expect(line.tokenId).toBeUndefined();
    expect(server.logs.text).not.toContain(token);
    expect(server.logs.text).not.toContain(token.slice(5));
  });

  it("writes one line for an unknown route, with no route name", async () => {
    await server.fetch("/api/v1/missing", { headers: { "x-request-id": "log-404-1" } });
    const line = await lineFor("log-404-1");
    expect(line).toMatchObject({ method: "GET", status: 404 });
    expect(line.route).toBeUndefined();
  });

  it("scrubs a secret pasted into the path from the line", async () => {
    const secret = `ollm_${"Y".repeat(43)}`;
    await server.fetch(`/api/v1/${secret}`, { headers: { "x-request-id": "log-path-1" } });
    const line = await lineFor("log-path-1");
    expect(line.path).toBe("/api/v1/ollm_[redacted]");
    expect(server.logs.text).not.toContain("Y".repeat(43));
  });

  it("never holds an authorization header or a bearer secret", async () => {
    const { token } = await server.token({ name: "bearer" });
    await server.fetch("/api/v1/me", { token, headers: { "x-request-id": "log-bearer-1" } });
    await server.fetch("/api/v1/me", {
      headers: { authorization: `Bearer ollm_${"Z".repeat(43)}`, "x-request-id": "log-bearer-2" },
    });
    await lineFor("log-bearer-1");
    await lineFor("log-bearer-2");
    expect(server.logs.text).not.toMatch(/authorization/i);
    expect(server.logs.text).not.toMatch(/bearer\s/i);
    expect(server.logs.text).not.toMatch(/ollm_[A-Za-z0-9_-]{20,}/);
    expect(server.logs.text).not.toContain("Z".repeat(43));
  });
});
