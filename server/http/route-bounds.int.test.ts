/**
 * Every array a route accepts has a most-items bound in its schema, so validation refuses an
 * oversized one at its length instead of checking (and reporting) each of its items: a 1 MB body
 * holds 300,000 of them. A route added to the table is checked here without touching the test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startTestServer, type TestServer } from "../test/harness.ts";

type JsonSchema = { [key: string]: unknown };

/** The paths, within `schema`, of arrays that have no maxItems. */
function unboundedArrays(schema: unknown, path = "", seen = new Set<unknown>()): string[] {
  if (typeof schema !== "object" || schema === null || seen.has(schema)) return [];
  seen.add(schema);
  const node = schema as JsonSchema;
  const found: string[] = [];
  const isArray =
    node.type === "array" || (Array.isArray(node.type) && node.type.includes("array"));
  if (isArray && typeof node.maxItems !== "number") found.push(path || "/");
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value))
      value.forEach((item, index) =>
        found.push(...unboundedArrays(item, `${path}/${key}/${index}`, seen)),
      );
    else found.push(...unboundedArrays(value, `${path}/${key}`, seen));
  }
  return found;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("the route table's input schemas", () => {
  it("bound every array they accept", () => {
    const unbounded: string[] = [];
    for (const route of server.app.routeTable) {
      for (const [part, schema] of [
        ["body", route.body],
        ["query", route.query],
      ] as const) {
        if (!schema) continue;
        const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
        for (const path of unboundedArrays(json))
          unbounded.push(`${route.method.toUpperCase()} ${route.path} ${part}${path}`);
      }
    }
    expect(server.app.routeTable.some((route) => route.body)).toBe(true);
    expect(unbounded).toEqual([]);
  });
});
