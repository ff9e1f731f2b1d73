/**
 * A caller's JSON Schema cannot stall, starve or crash the shared backend: on the default setup
 * (the demo provider, no key), over real HTTP, each hostile schema ends quickly with a 4xx (or
 * the documented 502 for an answer that breaks the schema) while the event loop stays free, and
 * compiled schemas do not pile up in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type ErrorBody, type Reply } from "../test/api.ts";
import { longestStall } from "../test/event-loop.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";

/** Longest the event loop may be held by one hostile request, on a busy 2-core machine. */
const stallBoundMs = 300;

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_RPM: "1000000", LOG_LEVEL: "warn" } });
  token = (await server.token()).token;
});
afterAll(() => server.close());

const complete = <T = ErrorBody>(body: unknown): Promise<Reply<T>> =>
  api<T>(server, token, "POST", "/api/v1/completions", body);

const asking = (schema: unknown) => ({
  prompt: "x",
  responseFormat: { type: "json", schema },
});

/** Sends the request, measuring the event loop meanwhile; the server must still be healthy. */
async function hostile<T = ErrorBody>(body: unknown): Promise<Reply<T>> {
  const { result, stallMs } = await longestStall(() => complete<T>(body));
  expect(stallMs, "longest event loop stall (ms)").toBeLessThan(stallBoundMs);
  expect((await server.fetch("/health")).status).toBe(200);
  return result;
}

describe("the demo provider's answers are bounded in size and work", () => {
  it.each([
    ["ten million items", { type: "array", minItems: 10_000_000 }, /GENERATED_OUTPUT_MAX_BYTES/],
    ["a billion characters", { type: "string", minLength: 1_000_000_000 }, /GENERATED_OUTPUT/],
    ["a recursion that never ends", { type: "array", minItems: 3, items: { $ref: "#" } }, /.+/],
  ])("refuses a schema asking for %s with 400, at once", async (_what, schema, why) => {
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
