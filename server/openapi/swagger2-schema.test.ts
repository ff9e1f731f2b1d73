import { describe, expect, it } from "vitest";
import { z } from "zod";
import { convert, swagger2Schema } from "./swagger2-schema.ts";

describe("swagger2Schema", () => {
  it("marks a nullable value x-nullable, keeping its type", () => {
    expect(swagger2Schema(z.object({ name: z.string().nullable() }), "output")).toMatchObject({
      properties: { name: { type: "string", "x-nullable": true } },
    });
  });

  it("merges a union of objects, requiring only what every variant requires", () => {
    const schema = swagger2Schema(
      z.union([
        z.object({ id: z.string(), ok: z.literal(true), text: z.string() }),
        z.object({ id: z.string(), ok: z.literal(false), error: z.object({ code: z.string() }) }),
      ]),
      "output",
    );
    expect(schema).toMatchObject({
      type: "object",
      properties: {
        id: { type: "string" },
        ok: { type: "boolean", enum: [true, false] },
        text: { type: "string" },
        error: { type: "object", properties: { code: { type: "string" } } },
      },
      required: ["id", "ok"],
    });
    expect(JSON.stringify(schema)).not.toMatch(/anyOf|oneOf/);
  });

  it("keeps a merged property as loose as the loosest variant's", () => {
    const schema = swagger2Schema(
      z.union([
        z.object({ kind: z.enum(["a"]), note: z.string().min(5).describe("A note") }),
        z.object({ kind: z.string(), note: z.string() }),
      ]),
      "output",
    );
    expect(schema.properties).toEqual({
      kind: { type: "string" },
      note: { type: "string", description: "A note" },
    });
  });

  it("keeps null, and list items, when either variant has them", () => {
    const schema = swagger2Schema(
      z.union([
        z.object({ link: z.string().nullable(), tags: z.array(z.enum(["a"])) }),
        z.object({ link: z.string(), tags: z.array(z.enum(["b"])).describe("Tags") }),
      ]),
      "output",
    );
    expect(schema.properties).toEqual({
      link: { type: "string", "x-nullable": true },
      tags: { type: "array", description: "Tags", items: { type: "string", enum: ["a", "b"] } },
    });
  });

  it("types a request's value-or-list as the list, and its scalar union as text", () => {
    const schema = swagger2Schema(
      z.object({
        stop: z.union([z.string(), z.array(z.string())]).describe("Where to stop"),
        variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
      }),
      "input",
    );
    expect(schema.properties).toEqual({
      stop: { type: "array", items: { type: "string" }, description: "Where to stop" },
      variables: { type: "object", additionalProperties: { type: "string" } },
    });
  });

  it("types any value as an object, and a map of any values as open", () => {
    const schema = swagger2Schema(
      z.object({ json: z.unknown().optional(), schema: z.record(z.string(), z.unknown()) }),
      "output",
    );
    expect(schema.properties).toEqual({
      json: { type: "object" },
      schema: { type: "object", additionalProperties: true },
    });
  });

  it("refuses an answer's union of kinds, which no one type describes", () => {
    expect(() =>
      swagger2Schema(z.object({ stop: z.union([z.string(), z.array(z.string())]) }), "output"),
    ).toThrow(/no Swagger 2.0 type holds every value/);
  });

  it("refuses a keyword Swagger 2.0 has no form for", () => {
    expect(() => convert({ type: "object", not: { required: ["a"] } }, "output")).toThrow(/'not'/);
  });
});
