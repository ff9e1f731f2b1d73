import { describe, expect, it } from "vitest";
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
});
