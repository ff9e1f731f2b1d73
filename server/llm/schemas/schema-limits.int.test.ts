/**
 * A caller's JSON Schema cannot stall, starve or crash the shared backend: on the default setup
 * (the demo provider, no key), over real HTTP, each hostile schema ends with a 4xx (or the
 * documented 502 for an answer that breaks the schema) and leaves the server healthy. How long
 * each may hold the event loop, and what compiled schemas may cost in memory, are measured where
 * nothing else competes for the machine: the stall guard and the memory test
 * (server/test/hostile/).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type ErrorBody, type Reply } from "../../test/api.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_RPM: "1000000", LOG_LEVEL: "warn" } });
  token = (await server.token()).token;
});
afterAll(() => server.close());

const complete = <T = ErrorBody>(body: unknown): Promise<Reply<T>> =>
  api<T>(server, token, "POST", "/api/v1/completions", body);

/** Posts JSON text as it is: a body nested 10,000 deep is more than JSON.stringify can write. */
async function postText(path: string, text: string): Promise<Reply<ErrorBody>> {
  const response = await server.fetch(path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: text,
  });
  const body = await response.text();
  return { status: response.status, headers: response.headers, text: body, body: JSON.parse(body) };
}

const asking = (schema: unknown) => ({
  prompt: "x",
  responseFormat: { type: "json", schema },
});

/** Sends the request; the server must still be healthy after it. */
async function hostile<T = ErrorBody>(body: unknown): Promise<Reply<T>> {
  const reply = await complete<T>(body);
  expect((await server.fetch("/health")).status).toBe(200);
  return reply;
}

/** An array schema nested `depth` deep, as JSON text. */
function nested(depth: number): string {
  return `${'{"type":"array","items":'.repeat(depth)}{"type":"string"}${"}".repeat(depth)}`;
}

describe("patterns run in linear time", () => {
  // 30 o's: a backtracking engine takes seconds per check (x4 for every 2 more).
  const oooo = "o".repeat(30);
  it.each([
    // The demo's answer cannot match: refused as any model's would be, after one more try.
    [502, "pattern", { type: "string", minLength: 30, pattern: "(o+)+x" }],
    [
      502,
      "propertyNames",
      { type: "object", required: [oooo], propertyNames: { pattern: "^(o+)+x$" } },
    ],
    // The name does not match, so the pattern asks nothing of its value.
    [
      200,
      "patternProperties",
      { type: "object", required: [oooo], patternProperties: { "^(o+)+x$": { type: "number" } } },
    ],
  ])("answers %i for a catastrophic %s", async (status, _keyword, schema) => {
    const reply = await hostile(asking(schema));
    expect(reply.status, reply.text).toBe(status);
    if (status === 502)
      expect(reply.body.error.message).toMatch(/broke the requested format twice/);
  });

  it.each([
    ["a lookahead", { type: "string", pattern: "^(?=d)\\w+$" }, "^(?=d)\\w+$"],
    ["a backreference", { patternProperties: { "^(d)\\1": { type: "string" } } }, "^(d)\\1"],
  ])("refuses %s, which RE2 cannot run, naming the pattern", async (_what, schema, pattern) => {
    const reply = await complete(asking(schema));
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
    expect(reply.body.error.message).toContain(`pattern ${JSON.stringify(pattern)}`);
  });

  it("refuses patterns whose repetitions compile too large, before compiling them", async () => {
    const reply = await hostile(asking({ type: "string", pattern: "(\\w{1,1000})".repeat(300) }));
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.message).toMatch(/SCHEMA_MAX_PATTERN_SIZE/);
  });
});

describe("schema size limits, checked before any compiling", () => {
  it("answers a schema nested 10,000 deep with 400, not 500", async () => {
    const reply = await postText(
      "/api/v1/completions",
      `{"prompt":"x","responseFormat":{"type":"json","schema":${nested(10_000)}}}`,
    );
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
  });

  it.each([
    ["nested deeper than SCHEMA_MAX_DEPTH", JSON.parse(nested(40)), /SCHEMA_MAX_DEPTH/],
    [
      "with more objects and arrays than SCHEMA_MAX_NODES",
      { type: "object", properties: Object.fromEntries(range(2001).map((i) => [`p${i}`, {}])) },
      /SCHEMA_MAX_NODES/,
    ],
    [
      "larger than SCHEMA_MAX_BYTES",
      { type: "string", description: "d".repeat(70 * 1024) },
      /SCHEMA_MAX_BYTES/,
    ],
  ])("refuses a schema %s, naming the limit", async (_what, schema, limit) => {
    const reply = await complete(asking(schema));
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.message).toMatch(limit);
  });

  it("applies the same limits to the OpenAI-compatible endpoint's json_schema", async () => {
    const reply = await api<ErrorBody>(server, token, "POST", "/v1/chat/completions", {
      model: "demo",
      messages: [{ role: "user", content: "x" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "deep", schema: JSON.parse(nested(40)) },
      },
    });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.text).toMatch(/SCHEMA_MAX_DEPTH/);
  });

  it("answers deep nesting in the other fields of a completion with 400", async () => {
    const deep = nested(10_000);
    for (const body of [
      `{"messages":[{"role":"user","content":${deep}}]}`,
      `{"templateId":"tpl_x","variables":{"name":${deep}}}`,
      `{"prompt":"x","stop":${deep}}`,
      `{"prompt":"x","responseFormat":${deep}}`,
    ]) {
      const reply = await postText("/api/v1/completions", body);
      expect(reply.status, reply.text).toBe(400);
    }
  });
});

describe("the demo provider's answers are bounded in size and work", () => {
  it.each([
    ["ten million items", { type: "array", minItems: 10_000_000 }, /GENERATED_OUTPUT_MAX_BYTES/],
    ["a billion characters", { type: "string", minLength: 1_000_000_000 }, /GENERATED_OUTPUT/],
    ["a recursion that never ends", { type: "array", minItems: 3, items: { $ref: "#" } }, /.+/],
  ])("refuses a schema asking for %s with 400", async (_what, schema, why) => {
    const reply = await hostile(asking(schema));
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
    expect(reply.body.error.message).toMatch(/^The demo model cannot answer this schema/);
    expect(reply.body.error.message).toMatch(why);
  });

  it("refuses it on a stream too, before the stream begins", async () => {
    const reply = await hostile({
      ...asking({ type: "array", minItems: 10_000_000 }),
      stream: true,
    });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.message).toMatch(/GENERATED_OUTPUT_MAX_BYTES/);
  });

  it("answers a recursive schema that can end with the smallest answer that does", async () => {
    const tree = {
      type: "object",
      properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
      required: ["name", "children"],
    };
    const reply = await hostile<{ json: unknown }>(asking(tree));
    expect(reply.status, reply.text).toBe(200);
    // Every property at the top and at the first recursion; within it, only what is required.
    expect(reply.body.json).toEqual({
      name: "demo",
      children: [{ name: "demo", children: [{ name: "demo", children: [] }] }],
    });
  });
});

describe("compiled schemas", () => {
  it("answers a batch of 500 items with distinct schemas, each compiled", async () => {
    const items = range(500).map((n) => ({
      id: `item-${n}`,
      prompt: "x",
      responseFormat: {
        type: "json",
        schema: {
          type: "object",
          properties: Object.fromEntries(
            range(25).map((i) => [`f${n}_${i}`, { type: i % 2 ? "integer" : "string" }]),
          ),
          required: [`f${n}_0`],
        },
      },
    }));
    const result = await api<{ results: { id: string; ok: boolean }[] }>(
      server,
      token,
      "POST",
      "/api/v1/batch",
      { items },
    );
    expect(result.status, result.text.slice(0, 500)).toBe(200);
    expect(result.body.results.filter((item) => item.ok)).toHaveLength(500);
  });
});

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}
