import { Ajv, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { LRUCache } from "lru-cache";
import type { Limits } from "../../config.ts";
import { TurnShares } from "../../util/turn-shares.ts";
import { LlmError } from "../errors.ts";
import { linearRegExp, UnsupportedPattern } from "./linear-regexp.ts";
import { checkSchemaShape } from "./schema-shape.ts";

/**
 * The JSON Schema drafts a caller may declare with `$schema`, by meta-schema URI (without its
 * scheme and any trailing `#`: `http` and `https` are the same draft), with the Ajv class that
 * speaks each. A schema without `$schema` is read as 2020-12, the draft today's libraries (zod 4,
 * the OpenAI and Anthropic SDKs) write.
 */
const drafts = {
  "json-schema.org/draft/2020-12/schema": {
    uri: "https://json-schema.org/draft/2020-12/schema",
    Class: Ajv2020,
  },
  "json-schema.org/draft/2019-09/schema": {
    uri: "https://json-schema.org/draft/2019-09/schema",
    Class: Ajv2019,
  },
  "json-schema.org/draft-07/schema": { uri: "http://json-schema.org/draft-07/schema", Class: Ajv },
} as const;

type DraftKey = keyof typeof drafts;
type DraftAjv = InstanceType<(typeof drafts)[DraftKey]["Class"]>;
const defaultDraft: DraftKey = "json-schema.org/draft/2020-12/schema";

/** How a refusal names the schema when the caller's request does not say (the native API's name). */
const defaultField = "responseFormat.schema";

/** The draft a schema declares; a `$schema` naming another one is an `invalid_request`. */
function draftOf(schema: Record<string, unknown>, field: string): DraftKey {
  const declared = schema.$schema;
  if (declared === undefined) return defaultDraft;
  const key =
    typeof declared === "string" ? declared.replace(/^https?:\/\//, "").replace(/#$/, "") : "";
  if (Object.hasOwn(drafts, key)) return key as DraftKey;
  throw new LlmError(
    "invalid_request",
    `${field}: $schema ${JSON.stringify(declared)} is not a JSON Schema draft this ` +
      "gateway knows: use draft 2020-12, 2019-09 or draft-07, or leave $schema out (2020-12)",
  );
}

export type JsonCheck = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * Compiles each schema with an Ajv of its own: an Ajv keeps every schema it ever compiled (its
 * code scope holds them even after removeSchema), so a shared one grows with every distinct
 * schema a caller sends. Alone, a compiled schema is freed with its cache entry, and one caller's
 * `$id` is never another's `$ref`. Code-size optimisation is off: it costs quadratic time on
 * large schemas and saves little on validators this small; `$ref`s stay calls, not inlined copies.
 */
const compileOptions: Options = {
  strict: false,
  meta: false,
  validateSchema: false,
  inlineRefs: false,
  // No format is checked (none is enabled); skipping the keyword also skips ajv's warning per use.
  validateFormats: false,
  code: { optimize: false, regExp: linearRegExp },
};

/**
 * Checks callers' JSON Schemas and answers against them, in two steps: `checkShape`, cheap,
 * refuses a schema over the size limits before any work on it; `compile`, the expensive one,
 * builds the validator (cached, SCHEMA_CACHE_MAX at most, an evicted one freed).
 */
export class SchemaChecker {
  readonly #limits: Limits;
  readonly #compiled: LRUCache<string, ValidateFunction>;
  /**
   * Each schema object's validator, for as long as the request holding the object lives: a batch
   * of more distinct schemas than the cache holds checks its answers without compiling again.
   */
  readonly #inFlight = new WeakMap<object, ValidateFunction>();
  /** One compile a turn of the event loop (compileInTurn). */
  readonly #compileTurns = new TurnShares(1);
  /** Per draft, an Ajv holding its meta-schemas; each compiles only its draft's, once. */
  readonly #metaAjvs = new Map<DraftKey, DraftAjv>();

  constructor(limits: Limits) {
    this.#limits = limits;
    this.#compiled = new LRUCache({ max: limits.schemaCacheEntries });
  }

  /**
   * Refuses (`invalid_request`) a schema larger, deeper or with heavier patterns than the limits
   * allow, naming it as `field` (a response format's schema unless said).
   */
  checkShape(schema: Record<string, unknown>, field = defaultField): void {
    checkSchemaShape(schema, this.#limits, field);
  }

  /**
   * `compile`, on a turn of the event loop of its own when the schema is not compiled yet: calls
   * that start together (a batch's items) compile one a turn, so that every other request is
   * looked at between two of them.
   */
  async compileInTurn(
    schema: Record<string, unknown>,
    field = defaultField,
  ): Promise<ValidateFunction> {
    if (!this.#inFlight.has(schema) && !this.#compiled.has(JSON.stringify(schema))) {
      await this.#compileTurns.next();
    }
    return this.compile(schema, field);
  }

  /**
   * The schema's validator, compiled once; a schema that does not compile is an
   * `invalid_request` naming it as `field`.
   */
  compile(schema: Record<string, unknown>, field = defaultField): ValidateFunction {
    let validate = this.#inFlight.get(schema);
    if (validate) return validate;
    this.checkShape(schema, field);
    const key = JSON.stringify(schema);
    validate = this.#compiled.get(key);
    if (!validate) {
      validate = this.#build(schema, field);
      this.#compiled.set(key, validate);
    }
    this.#inFlight.set(schema, validate);
    return validate;
  }

  /** Parses a model's answer as JSON (tolerating code fences) and checks it against the schema. */
  checkJson(text: string, schema: Record<string, unknown> | undefined): JsonCheck {
    // Without a regular expression at the end: `\s*```$` tries every space of a long run.
    let unfenced = text.trim().replace(/^```(?:json)?\s*/i, "");
    if (unfenced.endsWith("```")) unfenced = unfenced.slice(0, -3).trimEnd();
    let value: unknown;
    try {
      value = JSON.parse(unfenced);
    } catch {
      return { ok: false, problem: "the answer is not valid JSON" };
    }
    if (!schema) return { ok: true, value };
    const validate = this.compile(schema);
    try {
      if (validate(value)) return { ok: true, value };
    } catch (error) {
      // A recursive schema ($ref) checks an answer nested that deep by recursing as deep.
      if (error instanceof RangeError) return { ok: false, problem: "the answer nests too deeply" };
      throw error;
    }
    const [first] = validate.errors ?? [];
    return {
      ok: false,
      problem:
        `the answer does not match the schema: ${first ? `${first.instancePath || "/"} ${first.message ?? ""}` : "invalid"}`.trim(),
    };
  }

  #metaAjv(draft: DraftKey): DraftAjv {
    let ajv = this.#metaAjvs.get(draft);
    if (!ajv) {
      ajv = new drafts[draft].Class({ strict: false });
      this.#metaAjvs.set(draft, ajv);
    }
    return ajv;
  }

  #build(schema: Record<string, unknown>, field: string): ValidateFunction {
    const draft = draftOf(schema, field);
    try {
      // Against the draft's own meta-schema, looked up by its URI, never by what `$schema` says:
      // a `$schema` pointing into a meta-schema would make ajv compile, and keep, one more
      // validator.
      const metaAjv = this.#metaAjv(draft);
      const meta = metaAjv.getSchema(drafts[draft].uri)!;
      if (!meta(schema)) throw new Error(metaAjv.errorsText(meta.errors, { dataVar: "schema" }));
      const validate = new drafts[draft].Class(compileOptions).compile(schema);
      // V8 compiles a generated function's body on its first call: made here, in the compile's
      // turn, rather than when the answer is checked, where a burst of answers would pay for all.
      try {
        validate(undefined);
      } catch {
        // A schema that recurses on any value (`not: {$ref: "#"}`) overflows the stack: its
        // answers are refused as they are checked (checkJson), as before.
      }
      return validate;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new LlmError(
        "invalid_request",
        error instanceof UnsupportedPattern
          ? `${field}: ${reason}`
          : `${field} is not a valid JSON Schema: ${reason}`,
      );
    }
  }
}

/** The instruction added to the system prompt when JSON is asked for. */
export function jsonInstruction(schema: Record<string, unknown> | undefined): string {
  return schema
    ? `Answer with a single JSON value that matches this JSON Schema, and nothing else (no prose, no code fences):\n${JSON.stringify(schema)}`
    : "Answer with a single JSON object and nothing else (no prose, no code fences).";
}
