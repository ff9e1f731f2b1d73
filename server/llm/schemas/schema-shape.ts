import type { Limits } from "../../config.ts";
import { LlmError } from "../errors.ts";
import { regexpSize } from "./linear-regexp.ts";

export type SchemaShapeLimits = Pick<
  Limits,
  "schemaBytes" | "schemaDepth" | "schemaNodes" | "schemaPatternSize"
>;

/**
 * Refuses a caller's JSON Schema that is larger than the limits allow, before anything compiles
 * it: nesting depth, objects and arrays, the size its regular expressions compile to (`pattern`
 * values and `patternProperties` names) and its size in bytes. Walks with a stack of its own, so
 * a schema nested 10,000 deep is an `invalid_request`, not a stack overflow; work stops at the
 * first limit passed. A `pattern` under a keyword whose value is data (`const`, `enum`) counts
 * too: erring that way costs nothing. The refusal names the schema as `field`.
 */
export function checkSchemaShape(schema: unknown, limits: SchemaShapeLimits, field: string): void {
  const pending: { value: unknown; depth: number }[] = [{ value: schema, depth: 1 }];
  let nodes = 0;
  let patternSize = 0;
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value !== "object" || value === null) continue;
    if (depth > limits.schemaDepth) {
      refuse(field, `nests deeper than ${limits.schemaDepth} levels (SCHEMA_MAX_DEPTH)`);
    }
    if (++nodes > limits.schemaNodes) {
      refuse(field, `has more than ${limits.schemaNodes} objects and arrays (SCHEMA_MAX_NODES)`);
    }
    const entries = Array.isArray(value) ? value.map((item) => ["", item]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (key === "pattern" && typeof child === "string") patternSize += regexpSize(child);
      if (key === "patternProperties" && typeof child === "object" && child !== null) {
        for (const name of Object.keys(child)) patternSize += regexpSize(name);
      }
      pending.push({ value: child, depth: depth + 1 });
    }
    if (patternSize > limits.schemaPatternSize) {
      refuse(
        field,
        `has patterns that compile to more than ${limits.schemaPatternSize} steps ` +
          "(SCHEMA_MAX_PATTERN_SIZE; a{n} counts n)",
      );
    }
  }
  // Depth is bounded now, so serialising cannot overflow the stack.
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > limits.schemaBytes) {
    refuse(field, `is ${bytes} bytes, more than ${limits.schemaBytes} (SCHEMA_MAX_BYTES)`);
  }
}

function refuse(field: string, problem: string): never {
  throw new LlmError("invalid_request", `${field} ${problem}`);
}
