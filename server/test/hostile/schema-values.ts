/**
 * Values a route accepts, derived from the JSON Schema of its zod body or query (the schema the
 * OpenAPI document publishes): a valid body is the background against which one field at a time
 * is made hostile, so that every field is reached past the others' validation.
 */
import fc from "fast-check";
import { fromJson, type JsonNode } from "./json-text.ts";

export type JsonSchema = Record<string, unknown>;

/** Values to use for fields of these names (a model that exists, a template that exists…). */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const num = (schema: JsonSchema, key: string): number | undefined =>
  typeof schema[key] === "number" ? schema[key] : undefined;

/** Any small JSON value, for fields the schema leaves open. */
const anyJson = fc.jsonValue({ maxDepth: 2 }).map(fromJson);

/** A value the schema accepts; `name` is the field's name, for hints. */
export function validValue(schema: unknown, hints: Hints, name?: string): fc.Arbitrary<JsonNode> {
  const hint = name === undefined ? undefined : hints[name];
  if (hint) return hint.map(fromJson);
  if (!isSchema(schema)) return anyJson;
  if ("const" in schema) return fc.constant(fromJson(schema.const));
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return fc.constantFrom(...(schema.enum as unknown[])).map(fromJson);
  const branches = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(branches) && branches.length > 0)
    return fc.oneof(...branches.map((branch) => validValue(branch, hints, name)));
  if (Array.isArray(schema.type))
    return fc.oneof(...schema.type.map((type) => validValue({ ...schema, type }, hints, name)));
  switch (schema.type) {
    case "string":
      return validString(schema).map(fromJson);
    case "integer":
    case "number": {
      const exclusive = num(schema, "exclusiveMinimum");
      const min = num(schema, "minimum") ?? (exclusive === undefined ? -1000 : exclusive + 1);
      const max = Math.min(num(schema, "maximum") ?? Infinity, min + 1000);
      return (
        schema.type === "integer"
          ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
          : fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
      ).map(fromJson);
    }
    case "boolean":
      return fc.boolean().map(fromJson);
    case "null":
      return fc.constant(fromJson(null));
    case "array": {
      const minLength = num(schema, "minItems") ?? 0;
      const maxLength = Math.min(num(schema, "maxItems") ?? Infinity, minLength + 2);
      return fc
        .array(validValue(schema.items, hints), { minLength, maxLength })
        .map((items) => ({ kind: "array", items }));
    }
    case "object":
      return validObject(schema, hints);
    default:
      return anyJson;
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === "email") return fc.emailAddress();
  const minLength = num(schema, "minLength") ?? 0;
  const maxLength = Math.min(num(schema, "maxLength") ?? Infinity, minLength + 12);
  if (typeof schema.pattern === "string") return fc.stringMatching(new RegExp(schema.pattern));
  return fc.string({ minLength, maxLength });
}

/** Every required property, each optional one or not; open objects get a few free entries. */
function validObject(schema: JsonSchema, hints: Hints): fc.Arbitrary<JsonNode> {
  const properties = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
  if (properties.length === 0) {
    const values = isSchema(schema.additionalProperties) ? schema.additionalProperties : {};
    return fc
      .array(fc.tuple(fc.string({ maxLength: 8 }), validValue(values, hints)), { maxLength: 3 })
      .map((entries) => ({ kind: "object", entries }));
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return fc
    .tuple(
      ...properties.map(([key, property]) => {
        const entry = validValue(property, hints, key).map((node): [string, JsonNode][] => [
          [key, node],
        ]);
        return required.has(key) ? entry : fc.oneof(fc.constant([]), entry);
      }),
    )
    .map((groups) => ({ kind: "object", entries: groups.flat() }));
}

/** A field of a body: its path of keys (an array's items as "0") and its schema. */
export interface Field {
  path: string[];
  schema: JsonSchema;
}

/** Every field of a schema, nested ones included, down to `maxDepth` levels. */
export function fieldsOf(schema: unknown, maxDepth = 4, prefix: string[] = []): Field[] {
  if (!isSchema(schema) || prefix.length >= maxDepth) return [];
  const fields: Field[] = [];
  const branches = [schema, ...((schema.anyOf ?? schema.oneOf ?? []) as unknown[])];
  for (const branch of branches) {
    if (!isSchema(branch)) continue;
    if (branch !== schema) fields.push(...fieldsOf(branch, maxDepth, prefix));
    if (isSchema(branch.properties)) {
      for (const [key, property] of Object.entries(branch.properties)) {
        if (!isSchema(property)) continue;
        fields.push({ path: [...prefix, key], schema: property });
        fields.push(...fieldsOf(property, maxDepth, [...prefix, key]));
      }
    }
    if (isSchema(branch.items)) {
      fields.push({ path: [...prefix, "0"], schema: branch.items });
      fields.push(...fieldsOf(branch.items, maxDepth, [...prefix, "0"]));
    }
  }
  const seen = new Set<string>();
  return fields.filter((field) => {
    const key = field.path.join("\u0000");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The body with the value at `path` replaced by `leaf` (created, with the objects and arrays
 * that lead to it, when absent). With `merge`, an object leaf's entries are added to the object
 * there instead, so that e.g. `__proto__` sits beside the real fields.
 */
export function withValueAt(
  body: JsonNode,
  path: readonly string[],
  leaf: JsonNode,
  merge = false,
): JsonNode {
  const [head, ...rest] = path;
  if (head === undefined) {
    if (merge && body.kind === "object" && leaf.kind === "object")
      return { kind: "object", entries: [...body.entries, ...leaf.entries] };
    return leaf;
  }
  if (/^\d+$/.test(head)) {
    const items = body.kind === "array" ? [...body.items] : [];
    const index = Math.min(Number(head), items.length);
    items[index] = withValueAt(items[index] ?? emptyFor(rest), rest, leaf, merge);
    return { kind: "array", items };
  }
  const entries = body.kind === "object" ? [...body.entries] : [];
  const at = entries.findIndex(([key]) => key === head);
  const current = at >= 0 ? entries[at]![1] : emptyFor(rest);
  const replaced: [string, JsonNode] = [head, withValueAt(current, rest, leaf, merge)];
  if (at >= 0) entries[at] = replaced;
  else entries.push(replaced);
  return { kind: "object", entries };
}

function emptyFor(rest: readonly string[]): JsonNode {
  return rest[0] !== undefined && /^\d+$/.test(rest[0])
    ? { kind: "array", items: [] }
    : { kind: "object", entries: [] };
}
