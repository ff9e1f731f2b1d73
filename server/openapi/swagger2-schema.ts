import { z } from "zod";

export type Schema = Record<string, unknown>;

/** A request's schema ("input") may choose among a union's variants; an answer's may not. */
export type Direction = "input" | "output";

/** The keywords a Swagger 2.0 Schema Object has in common with zod's OpenAPI 3.0 output. */
const kept = new Set([
  "type",
  "format",
  "title",
  "description",
  "default",
  "enum",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
  "required",
]);

/**
 * Converts a zod schema to a Swagger 2.0 Schema Object, the dialect Power Automate's custom
 * connectors read. Swagger 2.0 has no `anyOf`, `oneOf` or `nullable`, so:
 * - a nullable value keeps its type and is marked `x-nullable`;
 * - a union of objects becomes one object with every variant's properties (required: those all
 *   variants require), so a flow can pick any field from the designer's list;
 * - in a request, any other union takes the variant a flow can always send: the list, when one
 *   variant is a list (`stop`: one string or a list of them, shown as a list), else the string
 *   (a template variable: text, a number or a yes/no, shown as text); in an answer, such a union
 *   has no honest single type and throws;
 * - any value (`z.unknown()`) is an object, the type a flow reads JSON through; as the values of
 *   a map, it is `additionalProperties: true`.
 * Every schema it returns has a `type`: the designer rejects or mislabels a field without one.
 * A keyword it does not know throws, so a new kind of schema is noticed by the tests, not lost.
 */
export function swagger2Schema(schema: z.ZodType, io: Direction): Schema {
  return convert(
    z.toJSONSchema(schema, { io, target: "openapi-3.0", unrepresentable: "any" }) as Schema,
    io,
  );
}

/** Converts a JSON Schema in zod's OpenAPI 3.0 dialect (see swagger2Schema). */
export function convert(schema: Schema, io: Direction): Schema {
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants) return convertUnion(schema, variants, io);

  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (kept.has(key)) out[key] = value;
    else if (key === "nullable") out["x-nullable"] = value;
    else if (key === "properties")
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, property]) => [
          name,
          convert(property, io),
        ]),
      );
    else if (key === "items") out.items = convert(value as Schema, io);
    else if (key === "additionalProperties")
      out.additionalProperties =
        typeof value === "boolean" || isAnyValue(value as Schema)
          ? value !== false
          : convert(value as Schema, io);
    else if (key !== "$schema") throw new Error(`no Swagger 2.0 form for the keyword '${key}'`);
  }
  return out.type === undefined ? { type: "object", ...out } : out;
}

/** A schema that allows any value: no type and nothing that would give it one. */
function isAnyValue(schema: Schema): boolean {
  return ["type", "anyOf", "oneOf", "properties", "items", "enum"].every((key) => !(key in schema));
}

function convertUnion(schema: Schema, variants: Schema[], io: Direction): Schema {
  const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = schema;
  const nullable = variants.some((variant) => variant.type === "null");
  const present = variants
    .filter((variant) => variant.type !== "null")
    .map((variant) => convert(variant, io));
  let merged: Schema;
  if (present.length === 1) merged = present[0]!;
  else if (present.every((variant) => variant.type === "object"))
    merged = present.reduce(mergeObjects);
  else merged = sendableVariant(present, io);
  const { type: _type, ...described } = convert(rest, io);
  return {
    ...merged,
    ...described,
    ...(nullable || schema.nullable ? { "x-nullable": true } : {}),
  };
}

/** The variant of a request's union of kinds that a flow can always send (see swagger2Schema). */
function sendableVariant(variants: Schema[], io: Direction): Schema {
  const choice =
    variants.find((variant) => variant.type === "array") ??
    variants.find((variant) => variant.type === "string");
  if (io === "output" || !choice)
    throw new Error(
      `no Swagger 2.0 type holds every value of a union of ${variants.map((v) => v.type).join(", ")}`,
    );
  return choice;
}

/** One object schema holding both objects' properties; a property both have merges likewise. */
function mergeObjects(a: Schema, b: Schema): Schema {
  const properties = { ...(a.properties as Record<string, Schema>) };
  for (const [name, property] of Object.entries((b.properties ?? {}) as Record<string, Schema>)) {
    const existing = properties[name];
    properties[name] = existing ? mergeProperty(existing, property) : property;
  }
  const required = ((a.required ?? []) as string[]).filter((name) =>
    ((b.required ?? []) as string[]).includes(name),
  );
  const { required: _a, additionalProperties: _b, ...base } = a;
  return { ...base, properties, ...(required.length > 0 ? { required } : {}) };
}

/**
 * A property both variants have: objects merge; otherwise the result must accept what either
 * accepts, so it keeps only their common type, the items of both lists, both enums' values, and
 * null when either allows it.
 */
function mergeProperty(a: Schema, b: Schema): Schema {
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  const nullable = a["x-nullable"] === true || b["x-nullable"] === true;
  if (a.type === "object" && b.type === "object")
    return { ...mergeObjects(a, b), ...(nullable ? { "x-nullable": true } : {}) };
  if (a.type !== b.type) return {};
  const description = a.description ?? b.description;
  return {
    type: a.type,
    ...(description !== undefined ? { description } : {}),
    ...(a.type === "array"
      ? { items: mergeProperty((a.items ?? {}) as Schema, (b.items ?? {}) as Schema) }
      : {}),
    ...(Array.isArray(a.enum) && Array.isArray(b.enum)
      ? { enum: [...new Set([...a.enum, ...b.enum])] }
      : {}),
    ...(nullable ? { "x-nullable": true } : {}),
  };
}
