/**
 * CORS over real HTTP, in its two kinds: routes that take a bearer token answer any origin with
 * `*` (Office Scripts call from origins Microsoft may change without notice), and every other
 * route (the public ones, the cookie-bound Calendar consent among them) only the backend's own
 * origin and CORS_ORIGINS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, uniquePrompt, type Rig } from "../test/llm-rig.ts";

const publicUrl = "https://officellm.example.com";
const listedOrigin = "https://excel-tools.example.org";
const newScriptsOrigin = "https://new-scripts-origin.example";

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({
    env: {
      PUBLIC_URL: publicUrl,
      CORS_ORIGINS: `${listedOrigin}, http://localhost:3001`,
      AUTH_FAILURES_PER_MINUTE: "100000",
    },
  });
});
afterAll(() => rig.close());

function preflight(path: string, origin: string, method = "GET") {
  return rig.server.fetch(path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

const headerList = (response: Response, name: string) =>
  (response.headers.get(name) ?? "").split(",").map((h) => h.trim().toLowerCase());

const corsHeaders = (response: Response) =>
  [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));

describe("routes that take a bearer token", () => {
  const anyOrigins: [string, string][] = [
    ["an origin nobody listed", newScriptsOrigin],
    ["today's Office Scripts origin", "https://contoso-1.officescripts.microsoftusercontent.com"],
    ["an origin in CORS_ORIGINS", listedOrigin],
    ["a sandboxed page", "null"],
  ];

  for (const [label, origin] of anyOrigins) {
    it(`answer ${label}'s preflight with *, without credentials`, async () => {
      const response = await preflight("/api/v1/completions", origin, "POST");
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.has("access-control-allow-credentials")).toBe(false);
      expect(headerList(response, "access-control-allow-methods")).toContain("post");
      expect(headerList(response, "access-control-allow-headers")).toEqual(
        expect.arrayContaining(["authorization", "content-type"]),
      );
      expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    });
  }

  it("answer a completion to an unknown origin with *, its headers readable", async () => {
    const { token } = await rig.token();
    const response = await rig.server.fetch("/api/v1/completions", {
      method: "POST",
      token,
      headers: { origin: newScriptsOrigin, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4.1-mini", prompt: uniquePrompt("Say hi") }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.has("access-control-allow-credentials")).toBe(false);
    expect(headerList(response, "access-control-expose-headers")).toEqual(
      expect.arrayContaining(["x-request-id", "retry-after", "x-officellm-model"]),
    );
    expect(response.headers.get("vary")).toMatch(/\borigin\b/i);
  });

  it("answer a refused call with * too, so the script can read why", async () => {
    const response = await rig.server.fetch("/api/v1/me", {
      headers: { origin: newScriptsOrigin },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answer a parameterised path with * too", async () => {
    const response = await preflight("/api/v1/templates/some-id", newScriptsOrigin, "DELETE");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("every other route", () => {
  const strictPaths = [
    "/api/v1/calendar/oauth/start",
    "/api/v1/calendar/oauth/callback",
    "/health",
    "/api/v1/openapi.json",
    "/nowhere",
  ];

  const listed: [string, string][] = [
    ["an origin in CORS_ORIGINS", listedOrigin],
    ["another origin in CORS_ORIGINS", "http://localhost:3001"],
    ["the backend's own PUBLIC_URL origin", publicUrl],
  ];
  for (const [label, origin] of listed) {
    it(`lets ${label} read responses, by name`, async () => {
      const response = await rig.server.fetch("/health", { headers: { origin } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-expose-headers")).toContain("x-request-id");
      expect(response.headers.get("vary")).toMatch(/\borigin\b/i);
      const pre = await preflight("/api/v1/calendar/oauth/start", origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
    });
  }

  const unlisted: [string, string][] = [
    ["an origin nobody listed", newScriptsOrigin],
    ["an Office Scripts origin", "https://contoso-1.officescripts.microsoftusercontent.com"],
    ["PUBLIC_URL's host over another scheme", "http://officellm.example.com"],
    ["a sandboxed page", "null"],
  ];
  for (const [label, origin] of unlisted) {
    it(`give ${label} no CORS headers, preflight or not`, async () => {
      for (const path of strictPaths) {
        const response = await rig.server.fetch(path, { headers: { origin }, redirect: "manual" });
        expect(corsHeaders(response), path).toEqual([]);
        expect(response.headers.get("vary"), path).toMatch(/\borigin\b/i);
        const pre = await preflight(path, origin);
        expect(pre.headers.has("access-control-allow-origin"), path).toBe(false);
        expect(pre.headers.has("access-control-allow-headers"), path).toBe(false);
      }
    });
  }

  it("gives a request without an Origin header no CORS headers, only Vary: Origin", async () => {
    for (const path of ["/health", "/api/v1/me"]) {
      const response = await rig.server.fetch(path);
      expect(response.headers.get("vary"), path).toMatch(/\borigin\b/i);
      expect(corsHeaders(response), path).toEqual([]);
    }
  });
});
