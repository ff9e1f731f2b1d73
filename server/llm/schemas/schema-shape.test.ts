import { describe, expect, it } from "vitest";
import { LlmError } from "../errors.ts";
import { checkSchemaShape, type SchemaShapeLimits } from "./schema-shape.ts";

const limits: SchemaShapeLimits = {
  schemaBytes: 1000,
  schemaDepth: 5,
  schemaNodes: 20,
  schemaPatternSize: 100,
};

/** The message of the 400 the check answers, or undefined when it lets the schema pass. */
function refusal(schema: unknown, shape = limits): string | undefined {
  try {
    checkSchemaShape(schema, shape, "responseFormat.schema");
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe("invalid_request");
    return (error as LlmError).message;
  }
}

function nested(depth: number): unknown {
  let schema: unknown = { type: "string" };
  for (let level = 1; level < depth; level++) schema = { items: schema };
  return schema;
}

describe("checkSchemaShape", () => {
  it("lets a schema within every limit pass", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string", pattern: "^[A-Z][a-z]+$" }, tags: { type: "array" } },
      required: ["name"],
    };
    expect(refusal(schema)).toBeUndefined();
  });

  it("counts depth in objects and arrays, the schema itself being level 1", () => {
    expect(refusal(nested(5))).toBeUndefined();
    expect(refusal(nested(6))).toBe(
      "responseFormat.schema nests deeper than 5 levels (SCHEMA_MAX_DEPTH)",
    );
    expect(refusal({ anyOf: [[[[{}]]]] })).toMatch(/SCHEMA_MAX_DEPTH/);
  });

  it("refuses a schema nested 100,000 deep without overflowing the stack", () => {
    expect(refusal(nested(100_000))).toMatch(/SCHEMA_MAX_DEPTH/);
  });

  it("counts objects and arrays, not strings or numbers", () => {
    const wide = (count: number) => ({
      enum: Array.from({ length: 100 }, (_, i) => i),
      properties: Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, {}])),
    });
    // The schema, its enum, its properties and 17 property schemas: 20.
    expect(refusal(wide(17))).toBeUndefined();
    expect(refusal(wide(18))).toBe(
      "responseFormat.schema has more than 20 objects and arrays (SCHEMA_MAX_NODES)",
    );
  });

  it("adds up what its patterns and patternProperties' names compile to", () => {
    expect(refusal({ pattern: "a{40}", patternProperties: { "b{40}": {} } })).toBeUndefined();
    expect(refusal({ pattern: "a{60}", patternProperties: { "b{60}": {} } })).toMatch(
      /more than 100 steps \(SCHEMA_MAX_PATTERN_SIZE/,
    );
    expect(refusal({ properties: { x: { propertyNames: { pattern: "\\w{1,1000}" } } } })).toMatch(
      /SCHEMA_MAX_PATTERN_SIZE/,
    );
    // A property named "pattern" is no pattern.
    expect(refusal({ properties: { pattern: { type: "string" } } })).toBeUndefined();
  });

  it("measures the size in bytes of UTF-8 JSON", () => {
    expect(refusal({ description: "é".repeat(480) })).toBeUndefined();
    expect(refusal({ description: "é".repeat(500) })).toMatch(
      /^responseFormat\.schema is 1018 bytes, more than 1000 \(SCHEMA_MAX_BYTES\)$/,
    );
  });
});
