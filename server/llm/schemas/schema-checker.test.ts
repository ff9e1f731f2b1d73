import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../config.ts";
import { LlmError } from "../errors.ts";
import { SchemaChecker } from "./schema-checker.ts";

const checker = (env: Record<string, string> = {}) => new SchemaChecker(loadConfig(env).limits);

/** The refusal compiling `schema` ends with. */
function refusal(schema: Record<string, unknown>): LlmError {
  try {
    checker().compile(schema);
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error(`compiled ${JSON.stringify(schema)}`);
}

describe("SchemaChecker", () => {
  it("refuses a schema that is not one, saying why", () => {
    const error = refusal({ type: "text" });
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(
      /^responseFormat\.schema is not a valid JSON Schema: schema\/type/,
    );
    expect(refusal({ $ref: "#/definitions/missing" }).message).toMatch(/can't resolve reference/);
  });

  it("refuses a pattern RE2 cannot run, naming it", () => {
    expect(refusal({ properties: { a: { pattern: "(?=x)" } } }).message).toMatch(
      /^responseFormat\.schema: pattern "\(\?=x\)" cannot be used: RE2/,
    );
  });

  it("keeps SCHEMA_CACHE_MAX compiled schemas: the least recently used is compiled again", () => {
    const schemas = checker({ SCHEMA_CACHE_MAX: "2" });
    const schema = (n: number) => ({ type: "object", required: [`field${n}`] });
    const first = schemas.compile(schema(1));
    schemas.compile(schema(2));
    const third = schemas.compile(schema(3));
    // Equal schemas, other objects: only the cache can know them.
    expect(schemas.compile(schema(3))).toBe(third);
    expect(schemas.compile(schema(1))).not.toBe(first);
  });

  it("keeps a schema object's validator while something holds the object", () => {
    const schemas = checker({ SCHEMA_CACHE_MAX: "2" });
    const held = { type: "object", required: ["held"] };
    const validate = schemas.compile(held);
    for (let n = 0; n < 5; n++) schemas.compile({ type: "object", required: [`other${n}`] });
    expect(schemas.compile(held)).toBe(validate);
  });

  it("compiles each schema alone: a caller's $id is nobody else's", () => {
    const schemas = checker();
    const mine = schemas.compile({ $id: "https://example.com/person", type: "string" });
    // The same $id again, another schema: neither clashes with nor sees the first.
    const theirs = schemas.compile({ $id: "https://example.com/person", type: "number" });
    expect([mine("x"), theirs("x")]).toEqual([true, false]);
    expect(() => schemas.compile({ $ref: "https://example.com/person" })).toThrow(
      /can't resolve reference/,
    );
  });

  it("compiles schemas asked for together one a turn of the event loop", async () => {
    const schemas = checker();
    const compiledIn: number[] = [];
    let turn = 0;
    const compiles = Array.from({ length: 5 }, (_, index) =>
      schemas
        .compileInTurn({ type: "object", properties: { [`field${index}`]: { type: "string" } } })
        .then(() => compiledIn.push(turn)),
    );
    while (compiledIn.length < 5) {
      await nextTurn();
      turn++;
    }
    await Promise.all(compiles);
    expect(new Set(compiledIn).size).toBe(5);
  });

  it("compiles a schema that recurses on any value, and refuses its answers", () => {
    const schemas = checker();
    const schema = { not: { $ref: "#" } };
    expect(() => schemas.compile(schema)).not.toThrow();
    expect(schemas.checkJson("{}", schema)).toEqual({
      ok: false,
      problem: "the answer nests too deeply",
    });
  });

  it("checks answers: fenced, spaced out, or nested deeper than the check can follow", () => {
    const schemas = checker();
    const list = { type: "array", items: { $ref: "#" } };
    expect(schemas.checkJson("```json\n[[], [[]]]\n```", list)).toEqual({
      ok: true,
      value: [[], [[]]],
    });
    expect(schemas.checkJson('"x"', list)).toEqual({
      ok: false,
      problem: "the answer does not match the schema: / must be array",
    });
    // A long run of spaces: a backtracking `\s*```$` takes seconds over it.
    expect(schemas.checkJson(`[${" ".repeat(200_000)}[]]`, list)).toEqual({
      ok: true,
      value: [[]],
    });
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    expect(schemas.checkJson(deep, list)).toEqual({
      ok: false,
      problem: "the answer nests too deeply",
    });
  });

  it("reads a schema in the draft its $schema declares, 2020-12 when it declares none", () => {
    const schemas = checker();
    // zod 4 writes 2020-12, with its `$schema`: a tuple is `prefixItems`, `items: false` after.
    const zodSchema = z.toJSONSchema(
      z.object({ name: z.string(), pair: z.tuple([z.string(), z.number()]) }),
    );
    expect(zodSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    const zodCheck = schemas.compile(zodSchema as Record<string, unknown>);
    expect(zodCheck({ name: "Ada", pair: ["x", 1] })).toBe(true);
    expect(zodCheck({ name: "Ada", pair: ["x", "y"] })).toBe(false);

    const { $schema: _declared, ...undeclared } = zodSchema;
    expect(schemas.compile(undeclared)({ name: "Ada", pair: ["x", 1] })).toBe(true);

    // 2019-09: unevaluatedProperties sees the properties an allOf evaluated.
    const closed = {
      $schema: "https://json-schema.org/draft/2019-09/schema",
      allOf: [{ properties: { a: { type: "string" } } }],
      unevaluatedProperties: false,
    };
    expect(schemas.compile(closed)({ a: "x" })).toBe(true);
    expect(schemas.compile(closed)({ a: "x", b: 1 })).toBe(false);

    // draft-07, as older tools write it, with its `#`: a tuple is an array under `items`.
    const tuple = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "array",
      items: [{ type: "string" }, { type: "number" }],
      additionalItems: false,
    };
    expect(schemas.compile(tuple)(["x", 1])).toBe(true);
    expect(schemas.compile(tuple)(["x", 1, 2])).toBe(false);
  });

  it("checks a schema against its own draft's meta-schema, and refuses drafts it does not know", () => {
    // Valid draft-07; in 2020-12 (the default) `items` must be one schema.
    const tupleItems = { type: "array", items: [{ type: "string" }] };
    expect(refusal(tupleItems).message).toMatch(/not a valid JSON Schema: schema\/items/);
    expect(() =>
      checker().compile({ $schema: "http://json-schema.org/draft-07/schema", ...tupleItems }),
    ).not.toThrow();

    for (const $schema of ["http://json-schema.org/draft-04/schema#", 7, "https://example.com/x"]) {
      const error = refusal({ $schema, type: "string" });
      expect(error.code).toBe("invalid_request");
      expect(error.message).toMatch(
        /^responseFormat\.schema: \$schema .* is not a JSON Schema draft this gateway knows: use draft 2020-12, 2019-09 or draft-07/,
      );
    }
  });
});
