import { invalidValue } from "./errors.ts";

/**
 * Options text such as `"model=gpt-4o-mini; temperature=0.2"`: `key=value` pairs separated by
 * semicolons, keys case-insensitive, optionally after `options:`.
 */
export interface CallOptions {
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** false: neither read nor keep a cached answer (every recalculation asks the model again). */
  cache?: boolean;
}

type Key = "model" | "temperature" | "maxtokens" | "cache";

const PAIR = String.raw`\s*(model|temperature|maxtokens|cache)\s*=\s*[^;=]*?\s*`;
/** The whole text is one or more known `key=value` pairs (an optional trailing semicolon). */
const OPTIONS_TEXT = new RegExp(`^${PAIR}(;${PAIR})*;?\\s*$`, "i");

/**
 * How PROMPT, LIST and TABLE are told that their last argument is options and not prompt text:
 * `"options: temperature=0.5"`. A bare `"temperature=0.5"` there is prompt text, as it was for
 * =COPILOT(), whose formulas must keep their meaning.
 */
const OPTIONS_PREFIX = /^\s*options\s*:/i;

/** Whether text has the shape of options, with or without the prefix (it may hold a bad value). */
export function looksLikeOptions(text: unknown): text is string {
  return typeof text === "string" && OPTIONS_TEXT.test(text.replace(OPTIONS_PREFIX, ""));
}

/**
 * Parses options text; empty or missing text means no options. A text that is not options, or
 * a bad value, is a #VALUE! error naming the problem.
 */
export function parseOptions(text: unknown): CallOptions {
  if (text === null || text === undefined || (typeof text === "string" && text.trim() === ""))
    return {};
  if (!looksLikeOptions(text)) {
    throw invalidValue(
      `Options must look like "model=NAME; temperature=0.2; maxTokens=500; cache=false" (got "${String(text).slice(0, 60)}")`,
    );
  }
  const options: CallOptions = {};
  const seen = new Set<Key>();
  for (const pair of text.replace(OPTIONS_PREFIX, "").split(";")) {
    if (pair.trim() === "") continue;
    const [rawKey = "", ...rest] = pair.split("=");
    const key = rawKey.trim().toLowerCase() as Key;
    const value = rest.join("=").trim();
    if (seen.has(key)) throw invalidValue(`Option ${rawKey.trim()} is given twice`);
    seen.add(key);
    switch (key) {
      case "model":
        if (!/^[\w.:/@+-]{1,100}$/.test(value))
          throw invalidValue(
            `Option model must be a model id such as gpt-4o-mini (got "${value}")`,
          );
        options.model = value;
        break;
      case "temperature": {
        const number = Number(value);
        if (value === "" || !Number.isFinite(number) || number < 0 || number > 2)
          throw invalidValue(`Option temperature must be a number from 0 to 2 (got "${value}")`);
        options.temperature = number;
        break;
      }
      case "maxtokens": {
        const number = Number(value);
        if (!/^\d+$/.test(value) || number < 1 || number > 1_000_000)
          throw invalidValue(
            `Option maxTokens must be a whole number of at least 1 (got "${value}")`,
          );
        options.maxTokens = number;
        break;
      }
      case "cache": {
        const folded = value.toLowerCase();
        if (!["true", "false", "on", "off", "yes", "no"].includes(folded))
          throw invalidValue(`Option cache must be true or false (got "${value}")`);
        options.cache = ["true", "on", "yes"].includes(folded);
        break;
      }
    }
  }
  return options;
}

/**
 * For functions whose last repeating argument may be options (PROMPT, LIST, TABLE): splits it
 * off when it is a single text cell starting "options:". Any other text is left as context.
 */
export function splitTrailingOptions(context: unknown[]): {
  context: unknown[];
  options: CallOptions;
} {
  const last = context.at(-1);
  const single = Array.isArray(last)
    ? last.length === 1 && Array.isArray(last[0]) && last[0].length === 1
      ? (last[0] as unknown[])[0]
      : undefined
    : last;
  if (typeof single !== "string" || !OPTIONS_PREFIX.test(single)) return { context, options: {} };
  return { context: context.slice(0, -1), options: parseOptions(single) };
}
