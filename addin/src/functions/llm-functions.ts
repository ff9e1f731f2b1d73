import type { Answer, Cancelable, LlmEngine, LlmRequest } from "./engine.ts";
import { cosine } from "./embeddings.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";
import { errorForCode, errorFromFailure, invalidValue, notAvailable } from "./errors.ts";
import { parseOptions, splitTrailingOptions, type CallOptions } from "./options.ts";
import { fitCell } from "../shared/cell.ts";
import {
  asMatrix,
  cellText,
  composePrompt,
  errorCode,
  parseList,
  toCell,
  type CellInput,
} from "./values.ts";

/**
 * What each =LLM.* function asks the model and how its answer becomes cells. The functions in
 * functions.ts (the ones Excel sees) call these with the current engine.
 */

/** Shown while a formula is being edited (formula value preview): the model is never called. */
export const PREVIEW_PLACEHOLDER = "LLM result appears after you press Enter";

/** The longest prompt (with its ranges rendered as tables) a function sends. */
export const MAX_PROMPT_CHARS = 200_000;
export const MAX_FIELDS = 50;
export const MAX_LABELS = 200;
/** Candidates one similarity formula ranks (each a text the backend embeds once). */
export const MAX_CANDIDATES = 1000;
/** Rows SIMILAR spills by default. */
export const DEFAULT_TOP = 3;

export type Cell = string | number | boolean;
export type Invocation = Cancelable & { isInValuePreview?: boolean };

/** A call to the model and how to read its answer, or a value known without the model. */
type Plan<T> = { request: LlmRequest; shape: (answer: Answer) => T; preview: T } | { value: T };

const SHEET_CONTEXT =
  "Tables and lists in the request are ranges from the user's worksheet, in Markdown; a table's first row is its header.";

const SYSTEM = {
  prompt: `You answer inside one cell of a Microsoft Excel worksheet. Answer the request directly and concisely in plain text: no Markdown, preamble or follow-up questions. ${SHEET_CONTEXT}`,
  list: `You answer inside a Microsoft Excel worksheet, where your answer fills a column, one item per cell. Answer with JSON {"items": [...]}: each item one short plain-text value, without numbering, bullets or Markdown. ${SHEET_CONTEXT}`,
  table: `You answer inside a Microsoft Excel worksheet, where your answer fills a range of cells. Answer with JSON {"columns": [...], "rows": [[...], ...]}: the column headings, then one array per row holding exactly one short plain-text value per column (numbers as plain digits, no Markdown). ${SHEET_CONTEXT}`,
  extract:
    "Extract the named fields from the user's text. Answer with a JSON object whose keys are exactly the field names given; each value is that field's value as short plain text taken from the text, or null when the text does not give it. Do not guess.",
  classify:
    'Classify the user\'s text into exactly one of the given labels. Answer with JSON {"label": ...}, the label copied exactly from the list. Choose the closest label even when none fits perfectly.',
};

const LIST_SCHEMA = {
  type: "object",
  properties: { items: { type: "array", items: { type: "string" } } },
  required: ["items"],
  additionalProperties: false,
};

const TABLE_SCHEMA = {
  type: "object",
  properties: {
    columns: { type: "array", items: { type: "string" }, minItems: 1 },
    rows: { type: "array", items: { type: "array", items: { type: "string" } } },
  },
  required: ["columns", "rows"],
  additionalProperties: false,
};

function request(options: CallOptions, fields: LlmRequest): LlmRequest {
  const result: LlmRequest = { ...fields, temperature: options.temperature ?? 0 };
  if (options.model) result.model = options.model;
  if (options.maxTokens) result.maxTokens = options.maxTokens;
  if (options.cache === false) result.cache = false;
  return result;
}

/**
 * The request of PROMPT, LIST and TABLE: the prompt interleaved with its context arguments,
 * the trailing options split off, refused when empty (saying `emptyHint`) or too large.
 */
function composedRequest(
  promptText: CellInput,
  context: unknown,
  fields: { system: string; emptyHint: string; responseFormat?: LlmRequest["responseFormat"] },
): LlmRequest {
  const split = splitTrailingOptions(repeating(context));
  const text = composePrompt(promptText, split.context);
  if (text === "") throw invalidValue(`The prompt is empty: ${fields.emptyHint}`);
  return request(split.options, {
    system: fields.system,
    prompt: checkSize(text),
    ...(fields.responseFormat ? { responseFormat: fields.responseFormat } : {}),
  });
}

function checkSize(prompt: string): string {
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw invalidValue(
      `The prompt with its ranges is ${prompt.length.toLocaleString("en-US")} characters; the limit is ${MAX_PROMPT_CHARS.toLocaleString("en-US")}: pass smaller ranges`,
    );
  }
  return prompt;
}

/** Repeating arguments as Excel passes them (an array of matrices; null or [] when none). */
function repeating(context: unknown): unknown[] {
  return Array.isArray(context)
    ? context
    : context === null || context === undefined
      ? []
      : [context];
}

function badAnswer(detail: string): never {
  throw errorForCode("bad_answer", detail);
}

/** The JSON of an answer: the server's parse, or the text itself (without code fences). */
function jsonOf(answer: Answer): unknown {
  if (answer.json !== undefined) return answer.json;
  try {
    return JSON.parse(
      answer.text
        .trim()
        .replace(/^```(?:json)?\s*/i, "")
        .replace(/\s*```$/, ""),
    );
  } catch {
    return undefined;
  }
}

/** Runs a plan: known values at once, previews from the cache only, otherwise the model. */
async function run<T>(
  engine: LlmEngine,
  invocation: Invocation | undefined,
  plan: () => Plan<T>,
): Promise<T> {
  let planned: Plan<T> | undefined;
  try {
    planned = plan();
    if ("value" in planned) return planned.value;
    if (invocation?.isInValuePreview) {
      const hit = await engine.cached(planned.request);
      return hit ? planned.shape(hit) : planned.preview;
    }
    const answer = await engine.ask(planned.request, invocation);
    try {
      return planned.shape(answer);
    } catch (error) {
      // An unusable answer is not kept: recalculating asks again.
      engine.forget(planned.request);
      throw error;
    }
  } catch (error) {
    throw errorFromFailure(error, Date.now());
  }
}

export function prompt(
  engine: LlmEngine,
  promptText: CellInput,
  context: unknown,
  invocation?: Invocation,
): Promise<string> {
  return run<string>(engine, invocation, () => {
    return {
      request: composedRequest(promptText, context, {
        system: SYSTEM.prompt,
        emptyHint: "give a question or an instruction first",
      }),
      shape: (answer) => fitCell(answer.text.trim()),
      preview: PREVIEW_PLACEHOLDER,
    };
  });
}

/** Which way a list spills: down a column (LIST, PROMPT.TOCOLUMN) or right along a row (PROMPT.TOROW). */
export type SpillDirection = "column" | "row";

/**
 * A list spilled down or right. The direction is the sheet's layout only: the model gets the
 * same request either way, so LIST, PROMPT.TOCOLUMN and PROMPT.TOROW with the same arguments
 * share one cached answer.
 */
export function list(
  engine: LlmEngine,
  promptText: CellInput,
  context: unknown,
  invocation?: Invocation,
  direction: SpillDirection = "column",
): Promise<Cell[][]> {
  const spill = (items: Cell[]): Cell[][] =>
    direction === "row" ? [items] : items.map((item) => [item]);
  return run<Cell[][]>(engine, invocation, () => {
    return {
      request: composedRequest(promptText, context, {
        system: SYSTEM.list,
        emptyHint: "say what to list",
        responseFormat: { type: "json", schema: LIST_SCHEMA },
      }),
      shape: (answer) => {
        const items = (jsonOf(answer) as { items?: unknown } | undefined)?.items;
        if (!Array.isArray(items)) badAnswer("no list of items");
        return spill(items.length === 0 ? [""] : items.map((item) => toCell(item)));
      },
      preview: spill([PREVIEW_PLACEHOLDER]),
    };
  });
}

export function table(
  engine: LlmEngine,
  promptText: CellInput,
  context: unknown,
  invocation?: Invocation,
): Promise<Cell[][]> {
  return run<Cell[][]>(engine, invocation, () => {
    return {
      request: composedRequest(promptText, context, {
        system: SYSTEM.table,
        emptyHint: "say what the table should hold",
        responseFormat: { type: "json", schema: TABLE_SCHEMA },
      }),
      shape: (answer) => {
        const value = jsonOf(answer) as { columns?: unknown; rows?: unknown } | undefined;
        if (
          !Array.isArray(value?.columns) ||
          value.columns.length === 0 ||
          !Array.isArray(value.rows)
        )
          badAnswer("no columns and rows");
        const width = value.columns.length;
        const header = value.columns.map((column) => fitCell(cellText(column).trim()));
        const rows = value.rows.map((row) => {
          const cells = Array.isArray(row) ? row : [row];
          return Array.from({ length: width }, (_, index) => toCell(cells[index]));
        });
        return [header, ...rows];
      },
      preview: [[PREVIEW_PLACEHOLDER]],
    };
  });
}

export function extract(
  engine: LlmEngine,
  text: CellInput,
  fields: unknown,
  options: unknown,
  invocation?: Invocation,
): Promise<Cell[][]> {
  return run<Cell[][]>(engine, invocation, () => {
    const names = parseList(fields);
    if (names.length === 0)
      throw invalidValue('Give the fields to extract: a range of names, or "name, email, phone"');
    if (names.length > MAX_FIELDS)
      throw invalidValue(`At most ${MAX_FIELDS} fields at once (got ${names.length})`);
    const parsed = parseOptions(options);
    const source = cellText(text).trim();
    if (source === "") return { value: [names.map(() => "")] };
    const schema = {
      type: "object",
      properties: Object.fromEntries(names.map((name) => [name, { type: ["string", "null"] }])),
      required: names,
      additionalProperties: false,
    };
    return {
      request: request(parsed, {
        system: SYSTEM.extract,
        prompt: checkSize(`Fields: ${JSON.stringify(names)}\n\nText:\n${source}`),
        responseFormat: { type: "json", schema },
      }),
      shape: (answer) => {
        const value = jsonOf(answer);
        if (!value || typeof value !== "object" || Array.isArray(value))
          badAnswer("no object of fields");
        const record = value as Record<string, unknown>;
        const folded = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
        return [
          names.map((name) =>
            toCell(name in record ? record[name] : folded.get(name.toLowerCase())),
          ),
        ];
      },
      preview: [names.map((_, index) => (index === 0 ? PREVIEW_PLACEHOLDER : ""))],
    };
  });
}

function normalise(text: string): string {
  return text
    .trim()
    .replace(/^["'`“”‘’*\s]+|["'`“”‘’*.!\s]+$/g, "")
    .replace(/\s+/g, " ")
    .toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What the model gave as the label: its JSON's label, or else its whole text. */
function labelSaid(answer: Answer): string {
  const json = jsonOf(answer) as { label?: unknown } | undefined;
  return json && typeof json === "object" && typeof json.label === "string"
    ? json.label
    : answer.text;
}

/**
 * The label an answer names: the label itself, the same ignoring case, quotes and spacing, or
 * the only label the answer mentions (the longest, when one label contains another).
 */
export function pickLabel(answer: Answer, labels: string[]): string | undefined {
  const said = labelSaid(answer);
  if (labels.includes(said)) return said;
  const wanted = normalise(said);
  const same = labels.find((label) => normalise(label) === wanted);
  if (same) return same;
  const mentioned = labels.filter((label) =>
    new RegExp(
      `(^|[^\\p{L}\\p{N}])${escapeRegExp(label.toLowerCase())}($|[^\\p{L}\\p{N}])`,
      "u",
    ).test(said.toLowerCase()),
  );
  const widest = mentioned.filter(
    (label) =>
      !mentioned.some(
        (other) => other !== label && other.toLowerCase().includes(label.toLowerCase()),
      ),
  );
  return widest.length === 1 ? widest[0] : undefined;
}

export function classify(
  engine: LlmEngine,
  text: CellInput,
  labels: unknown,
  options: unknown,
  invocation?: Invocation,
): Promise<string> {
  return run<string>(engine, invocation, () => {
    const choices = parseList(labels);
    if (choices.length === 0)
      throw invalidValue('Give the labels: a range, an array such as {"yes","no"}, or "yes, no"');
    if (choices.length > MAX_LABELS)
      throw invalidValue(`At most ${MAX_LABELS} labels (got ${choices.length})`);
    const parsed = parseOptions(options);
    const source = cellText(text).trim();
    if (source === "") throw notAvailable("There is no text to classify (the cell is empty)");
    if (choices.length === 1) return { value: choices[0]! };
    const schema = {
      type: "object",
      properties: { label: { type: "string", enum: choices } },
      required: ["label"],
      additionalProperties: false,
    };
    return {
      request: request(parsed, {
        system: SYSTEM.classify,
        prompt: checkSize(`Labels: ${JSON.stringify(choices)}\n\nText:\n${source}`),
        responseFormat: { type: "json", schema },
      }),
      shape: (answer) => {
        const label = pickLabel(answer, choices);
        if (label !== undefined) return label;
        const said = labelSaid(answer).trim().slice(0, 60);
        throw notAvailable(
          `The model answered "${said}", which is not one of the labels (${choices.join(", ")}): make the labels clearer, or try another model`,
        );
      },
      preview: PREVIEW_PLACEHOLDER,
    };
  });
}

export function translate(
  engine: LlmEngine,
  text: CellInput,
  language: CellInput,
  options: unknown,
  invocation?: Invocation,
): Promise<string> {
  return run<string>(engine, invocation, () => {
    const target = cellText(language).trim();
    if (target === "" || target.length > 60)
      throw invalidValue('Give the language to translate into, such as "French" or "pt-BR"');
    const parsed = parseOptions(options);
    const source = cellText(text).trim();
    if (source === "") return { value: "" };
    return {
      request: request(parsed, {
        system: `Translate the user's text into ${target}. Answer with the translation only: no quotes, notes or explanations. Keep numbers, names, codes and line breaks as they are. If the text is already in ${target}, answer with it unchanged.`,
        prompt: checkSize(source),
      }),
      shape: (answer) => fitCell(answer.text.trim()),
      preview: PREVIEW_PLACEHOLDER,
    };
  });
}

export function summarize(
  engine: LlmEngine,
  text: unknown,
  words: unknown,
  options: unknown,
  invocation?: Invocation,
): Promise<string> {
  return run<string>(engine, invocation, () => {
    let limit: number | undefined;
    if (words !== null && words !== undefined && words !== "") {
      limit = typeof words === "number" ? words : Number(cellText(words));
      if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
        throw invalidValue("words must be a whole number from 1 to 5000");
    }
    const parsed = parseOptions(options);
    const matrix = asMatrix(text);
    const lone =
      matrix.length === 1 && matrix[0]!.length === 1 ? errorCode(matrix[0]![0]) : undefined;
    if (lone !== undefined) {
      throw notAvailable(
        `The text to summarise is the error ${lone}: fix that cell, then recalculate`,
      );
    }
    const source = composePrompt("", [text]);
    if (source === "") return { value: "" };
    const length = limit ? `in at most ${limit} words` : "in one or two sentences";
    return {
      request: request(parsed, {
        system: `Summarise the user's text ${length}. Answer with the summary only, in plain text (no Markdown), in the text's own language. ${SHEET_CONTEXT}`,
        prompt: checkSize(source),
      }),
      shape: (answer) => fitCell(answer.text.trim()),
      preview: PREVIEW_PLACEHOLDER,
    };
  });
}

/**
 * Each candidate's cosine similarity to the text, in the candidates' order, by their embeddings
 * (the vectors never reach the sheet). Kept in the functions' cache, so a recalculation or a
 * reopened workbook ranks again without asking the backend; a preview reads that cache only.
 */
async function similarities(
  engine: LlmEngine,
  text: string,
  candidates: string[],
  model: string | undefined,
  invocation: Invocation | undefined,
): Promise<number[] | undefined> {
  const key = sha256Hex(`officellm-similar-v1\n${canonicalJson({ model, text, candidates })}`);
  const kept = engine.cache.peek(key) ?? (await engine.cache.get(key));
  if (Array.isArray(kept?.json)) return kept.json as number[];
  if (invocation?.isInValuePreview) return undefined;
  const [target, ...others] = await engine.embeddings.embed([text, ...candidates], model);
  const scores = others.map((vector) => Math.round(cosine(target!, vector) * 10_000) / 10_000);
  engine.cache.set(key, { text: "", json: scores });
  return scores;
}

/** The text and candidates of SIMILAR and CLOSEST, checked, with the options' model. */
function similarityArguments(text: CellInput, candidates: unknown, options: unknown) {
  const source = cellText(text).trim();
  const choices = parseList(candidates);
  if (choices.length === 0)
    throw invalidValue('Give the candidates: a range, an array such as {"a","b"}, or "a, b"');
  if (choices.length > MAX_CANDIDATES)
    throw invalidValue(`At most ${MAX_CANDIDATES} candidates (got ${choices.length})`);
  if (source === "") throw notAvailable("There is no text to compare (the cell is empty)");
  checkSize(source + choices.join(""));
  return { source, choices, model: parseOptions(options).model };
}

/** Candidates with their scores, closest first (ties in the candidates' order). */
function ranked(choices: string[], scores: number[]): [string, number][] {
  return choices
    .map((choice, index) => [choice, scores[index]!] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

/** The `top` candidates closest in meaning to the text, each with its score, spilled as 2 columns. */
export async function similar(
  engine: LlmEngine,
  text: CellInput,
  candidates: unknown,
  top: unknown,
  options: unknown,
  invocation?: Invocation,
): Promise<Cell[][]> {
  try {
    const count = top === null || top === undefined || top === "" ? DEFAULT_TOP : Number(top);
    if (!Number.isInteger(count) || count < 1 || count > MAX_CANDIDATES)
      throw invalidValue(`top must be a whole number from 1 to ${MAX_CANDIDATES}`);
    const { source, choices, model } = similarityArguments(text, candidates, options);
    const scores = await similarities(engine, source, choices, model, invocation);
    if (!scores) return [[PREVIEW_PLACEHOLDER, ""]];
    return ranked(choices, scores).slice(0, count);
  } catch (error) {
    throw errorFromFailure(error, Date.now());
  }
}

/** The one candidate closest in meaning to the text. */
export async function closest(
  engine: LlmEngine,
  text: CellInput,
  candidates: unknown,
  options: unknown,
  invocation?: Invocation,
): Promise<string> {
  try {
    const { source, choices, model } = similarityArguments(text, candidates, options);
    const scores = await similarities(engine, source, choices, model, invocation);
    if (!scores) return PREVIEW_PLACEHOLDER;
    return ranked(choices, scores)[0]![0];
  } catch (error) {
    throw errorFromFailure(error, Date.now());
  }
}
