/**
 * Values built from a JSON Schema: what the offline demo model answers for structured output, and
 * the fake provider in tests (server/test/fake-provider.ts).
 */

type Schema = Record<string, unknown>;

/** How much JSON a sample may take at most (see SchemaSampler). */
export interface SampleLimits {
  generatedOutputBytes: number;
  schemaDepth: number;
}

/** A schema no value within the limits satisfies; the message says why ("it …"). */
export class SampleRefused extends Error {
  constructor(why: string) {
    super(`it ${why}`);
    this.name = "SampleRefused";
  }
}

/** Values for string formats that validators check. */
const formatSamples: Record<string, string> = {
  "date-time": "2026-01-01T00:00:00Z",
  date: "2026-01-01",
  time: "00:00:00Z",
  duration: "P1D",
  email: "demo@example.com",
  "idn-email": "demo@example.com",
  hostname: "example.com",
  "idn-hostname": "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  uri: "https://example.com/demo",
  "uri-reference": "https://example.com/demo",
  iri: "https://example.com/demo",
  "iri-reference": "https://example.com/demo",
  url: "https://example.com/demo",
  uuid: "00000000-0000-4000-8000-000000000000",
  "json-pointer": "/demo",
  regex: "demo",
};

/**
 * A value that validates against `schema`, strings without a format being `text`; throws
 * SampleRefused when none fits the limits.
 */
export function sampleSchema(schema: unknown, limits: SampleLimits, text: string): unknown {
  return new SchemaSampler(schema, limits, text).sample(schema, 0, 0, false);
}

/**
 * Builds a value that validates against `schema` (for the JSON Schema keywords a structured-output
 * request uses): every declared property, the first of each enum, the first non-null anyOf / oneOf, the smallest
 * allowed number, the shortest allowed array of at least one item. Inside a recursion (a `$ref`
 * met again on its own path) only what is required: the smallest answer that ends.
 *
 * Bounded in size (GENERATED_OUTPUT_MAX_BYTES of JSON), in work (a step per schema visited, as
 * many as there are bytes) and in depth (SCHEMA_MAX_DEPTH levels of values and `$ref`s). A schema
 * no answer within those bounds can satisfy (`minItems: 10000000`, or a `$ref` that never ends)
 * is a 400 naming the bound: a cut answer would only fail the schema, after a second try.
 */
class SchemaSampler {
  readonly #root: unknown;
  readonly #limits: SampleLimits;
  /** What a string without a format is. */
  readonly #text: string;
  #bytes: number;
  #steps: number;
  /** The `$ref`s being expanded on the current path. */
  readonly #refs: string[] = [];

  constructor(root: unknown, limits: SampleLimits, text: string) {
    this.#root = root;
    this.#limits = limits;
    this.#text = text;
    this.#bytes = limits.generatedOutputBytes;
    this.#steps = limits.generatedOutputBytes;
  }

  /** `variant` makes a `uniqueItems` array's items differ; `lean` builds only what is required. */
  sample(schema: unknown, variant: number, depth: number, lean: boolean): unknown {
    if (--this.#steps < 0)
      this.#refuse("takes more work to build than GENERATED_OUTPUT_MAX_BYTES allows");
    if (depth > this.#limits.schemaDepth) {
      this.#refuse(
        `nests deeper than ${this.#limits.schemaDepth} levels (a $ref that never ends?)`,
      );
    }
    if (schema === true || schema === undefined) return this.#leaf(this.#text);
    if (!isSchema(schema)) return this.#leaf(null);

    if (typeof schema.$ref === "string") {
      const ref = schema.$ref;
      const target = resolveRef(this.#root, ref);
      // A $ref with sibling keywords (2019-09 and later) also applies those keywords.
      const { $ref: _ref, ...rest } = schema;
      const merged = Object.keys(rest).length > 0 ? mergeSchemas([target ?? {}, rest]) : target;
      const recursing = lean || this.#refs.includes(ref);
      this.#refs.push(ref);
      const value = this.sample(merged ?? {}, variant, depth + 1, recursing);
      this.#refs.pop();
      return value;
    }
    if (Array.isArray(schema.allOf)) {
      const { allOf, ...rest } = schema;
      return this.sample(mergeSchemas([rest, ...(allOf as unknown[])]), variant, depth + 1, lean);
    }
    if ("const" in schema) return this.#leaf(schema.const);
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      return this.#leaf(schema.enum[variant % schema.enum.length]);
    }
    for (const key of ["anyOf", "oneOf"] as const) {
      const branches = schema[key];
      if (Array.isArray(branches) && branches.length > 0) {
        const { [key]: _branches, ...rest } = schema;
        // The first branch that is not just null: a nullable field shows a value.
        const branch = branches.find((item) => !isSchema(item) || item.type !== "null");
        return this.sample(mergeSchemas([rest, branch ?? branches[0]]), variant, depth + 1, lean);
      }
    }

    switch (typeOf(schema)) {
      case "object":
        return this.#object(schema, depth, lean);
      case "array":
        return this.#array(schema, depth, lean);
      case "integer":
        return this.#leaf(sampleNumber(schema, variant, true));
      case "number":
        return this.#leaf(sampleNumber(schema, variant, false));
      case "boolean":
        return this.#leaf(variant % 2 === 1);
      case "null":
        return this.#leaf(null);
      default:
        return this.#string(schema, variant);
    }
  }

  #object(schema: Schema, depth: number, lean: boolean): Record<string, unknown> {
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required)
      ? schema.required.filter((key): key is string => typeof key === "string")
      : [];
    const extra = isSchema(schema.additionalProperties) ? schema.additionalProperties : true;
    const keys = lean ? required : [...new Set([...Object.keys(properties), ...required])];
    // Without a prototype, a property named "__proto__" is one like any other.
    const result = Object.create(null) as Record<string, unknown>;
    this.#spend(2);
    for (const key of keys) {
      // "key": and a comma.
      this.#spend(Buffer.byteLength(JSON.stringify(key)) + 2);
      const propertySchema = Object.hasOwn(properties, key) ? properties[key] : extra;
      result[key] = this.sample(propertySchema, 0, depth + 1, lean);
    }
    return result;
  }

  #array(schema: Schema, depth: number, lean: boolean): unknown[] {
    const minItems = typeof schema.minItems === "number" ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
    // 2020-12 tuples are `prefixItems`; draft-07 tuples are an array under `items`.
    const tuple = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : [];
    const rest = Array.isArray(schema.items)
      ? (schema.additionalItems ?? true)
      : (schema.items ?? true);
    const least = lean ? minItems : Math.max(minItems, 1, tuple.length);
    const count = Math.min(least, maxItems);
    // Each item takes a byte and a comma at least: refuse at once what cannot fit.
    if (2 * count > this.#bytes) this.#spend(2 * count);
    this.#spend(2 + Math.max(count - 1, 0));
    const items: unknown[] = [];
    for (let index = 0; index < count; index++) {
      const itemSchema = index < tuple.length ? tuple[index] : rest;
      const variant = schema.uniqueItems === true ? index : 0;
      items.push(this.sample(itemSchema, variant, depth + 1, lean));
    }
    return items;
  }

  #string(schema: Schema, variant: number): string {
    const format = typeof schema.format === "string" ? formatSamples[schema.format] : undefined;
    let value = format ?? this.#text;
    if (variant > 0) value = format ? value : `${value}${variant + 1}`;
    const minLength = typeof schema.minLength === "number" ? schema.minLength : 0;
    const maxLength = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
    // Before padding: a minLength of a billion must not allocate a billion characters.
    if (minLength > this.#bytes) this.#spend(minLength);
    if (value.length < minLength) value = value.padEnd(minLength, "o");
    if (value.length > maxLength) value = value.slice(0, maxLength);
    return this.#leaf(value);
  }

  /** Spends a value's JSON size. */
  #leaf<T>(value: T): T {
    this.#spend(Buffer.byteLength(JSON.stringify(value) ?? "null"));
    return value;
  }

  #spend(bytes: number): void {
    this.#bytes -= bytes;
    if (this.#bytes < 0) {
      this.#refuse(
        `needs an answer larger than ${this.#limits.generatedOutputBytes} bytes (GENERATED_OUTPUT_MAX_BYTES)`,
      );
    }
  }

  #refuse(why: string): never {
    throw new SampleRefused(why);
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The schema's type, or the one its keywords imply; for a list of types, the first but null. */
function typeOf(schema: Schema): string {
  const { type } = schema;
  if (typeof type === "string") return type;
  if (Array.isArray(type) && type.length > 0) {
    const types = type.filter((t): t is string => typeof t === "string");
    return types.find((t) => t !== "null") ?? types[0] ?? "string";
  }
  if ("properties" in schema || "required" in schema || "additionalProperties" in schema) {
    return "object";
  }
  if ("items" in schema || "prefixItems" in schema || "minItems" in schema) return "array";
  if ("minimum" in schema || "maximum" in schema || "multipleOf" in schema) return "number";
  return "string";
}

/** Follows a local reference: "#", "#/$defs/x", "#/definitions/x", with ~0 ~1 escapes. */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return undefined;
    }
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Combines schemas that must all hold (allOf) into one: properties and required lists unite. */
function mergeSchemas(schemas: unknown[]): Schema {
  const merged: Schema = {};
  for (const schema of schemas) {
    if (!isSchema(schema)) continue;
    for (const [key, value] of Object.entries(schema)) {
      if (key === "properties" && isSchema(merged.properties) && isSchema(value)) {
        merged.properties = { ...merged.properties, ...value };
      } else if (key === "required" && Array.isArray(merged.required) && Array.isArray(value)) {
        merged.required = [...new Set([...(merged.required as unknown[]), ...value])];
      } else if (key === "minimum" || key === "minLength" || key === "minItems") {
        merged[key] = Math.max(Number(merged[key] ?? -Infinity), Number(value));
      } else if (key === "maximum" || key === "maxLength" || key === "maxItems") {
        merged[key] = Math.min(Number(merged[key] ?? Infinity), Number(value));
      } else {
        merged[key] = value;
      }
    }
  }
  return merged;
}

function sampleNumber(schema: Schema, variant: number, integer: boolean): number {
  const num = (key: string) =>
    typeof schema[key] === "number" ? (schema[key] as number) : undefined;
  const minimum = num("minimum");
  const maximum = num("maximum");
  const exclusiveMinimum = num("exclusiveMinimum");
  const exclusiveMaximum = num("exclusiveMaximum");
  const multipleOf = num("multipleOf");
  const step = multipleOf ?? 1;

  let value: number;
  if (minimum !== undefined) value = minimum;
  else if (exclusiveMinimum !== undefined) value = exclusiveMinimum + (integer ? 1 : step);
  else if (maximum !== undefined && maximum < 0) value = maximum;
  else if (exclusiveMaximum !== undefined && exclusiveMaximum <= 0) {
    value = exclusiveMaximum - (integer ? 1 : step);
  } else value = 0;
  value += variant * step;
  if (integer) value = Math.ceil(value);
  if (multipleOf) value = Math.ceil(value / multipleOf) * multipleOf;
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) value += step;
  return value;
}
