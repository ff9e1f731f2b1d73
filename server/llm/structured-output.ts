import { Ajv, type ValidateFunction } from "ajv";
import { LRUCache } from "lru-cache";
import { ApiError } from "../errors.ts";

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new LRUCache<string, ValidateFunction>({ max: 500 });

/** Compiles a caller's JSON Schema once; a schema that does not compile is the caller's error. */
export function schemaValidator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new ApiError(
        "invalid_request",
        `responseFormat.schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    compiled.set(key, validate);
  }
  return validate;
}

/** The instruction added to the system prompt when JSON is asked for. */
export function jsonInstruction(schema: Record<string, unknown> | undefined): string {
  return schema
    ? `Answer with a single JSON value that matches this JSON Schema, and nothing else (no prose, no code fences):\n${JSON.stringify(schema)}`
    : "Answer with a single JSON object and nothing else (no prose, no code fences).";
}

export type JsonCheck = { ok: true; value: unknown } | { ok: false; problem: string };

/** Parses a model's answer as JSON (tolerating code fences) and checks it against the schema. */
export function checkJson(text: string, schema: Record<string, unknown> | undefined): JsonCheck {
  const unfenced = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  let value: unknown;
  try {
    value = JSON.parse(unfenced);
  } catch {
    return { ok: false, problem: "the answer is not valid JSON" };
  }
  if (!schema) return { ok: true, value };
  const validate = schemaValidator(schema);
  if (validate(value)) return { ok: true, value };
  const [first] = validate.errors ?? [];
  return {
    ok: false,
    problem:
      `the answer does not match the schema: ${first ? `${first.instancePath || "/"} ${first.message ?? ""}` : "invalid"}`.trim(),
  };
}
