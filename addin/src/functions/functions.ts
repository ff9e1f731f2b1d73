/**
 * The =LLM.* custom functions as Excel sees them. functions.json is generated from this file's
 * JSDoc at build time (custom-functions-metadata): each function's id, parameters (types,
 * ranges as matrices, the repeating context), and options (all cancelable). The work is done in
 * llm-functions.ts; register.ts associates these with their ids. See docs/excel.md.
 */
import { currentEngine } from "./current.ts";
import * as llm from "./llm-functions.ts";

/**
 * Asks a language model; text, cells and ranges may follow in any order, and a last "options: model=…; temperature=…" sets options.
 * @customfunction PROMPT
 * @param prompt The question or instruction: a text, a cell or a range.
 * @param [context] More text, cells or ranges, in order (ranges reach the model as tables); last may be "options: …".
 * @param invocation Excel's invocation (not an argument).
 * @returns The model's answer.
 */
export async function prompt(
  prompt: unknown[][],
  context: unknown[][][],
  invocation: CustomFunctions.CancelableInvocation,
): Promise<string> {
  return llm.prompt(currentEngine(), prompt, context, invocation);
}

/**
 * Asks for a list and spills it down, one item per cell.
 * @customfunction LIST
 * @param prompt What to list: a text, a cell or a range.
 * @param [context] More text, cells or ranges, in order (ranges reach the model as tables); last may be "options: …".
 * @param invocation Excel's invocation (not an argument).
 * @returns The items, one per row.
 */
export async function list(
  prompt: unknown[][],
  context: unknown[][][],
  invocation: CustomFunctions.CancelableInvocation,
): Promise<unknown[][]> {
  return llm.list(currentEngine(), prompt, context, invocation);
}

/**
 * Asks for a list and spills it right, one item per cell (Cellm's PROMPT.TOROW).
 * @customfunction PROMPT.TOROW
 * @param prompt What to list: a text, a cell or a range.
 * @param [context] More text, cells or ranges, in order (ranges reach the model as tables); last may be "options: …".
 * @param invocation Excel's invocation (not an argument).
 * @returns The items, one per column.
 */
export async function promptToRow(
  prompt: unknown[][],
  context: unknown[][][],
  invocation: CustomFunctions.CancelableInvocation,
): Promise<unknown[][]> {
  return llm.list(currentEngine(), prompt, context, invocation, "row");
}

/**
 * Asks for a list and spills it down, one item per cell (Cellm's PROMPT.TOCOLUMN; the same as LIST).
 * @customfunction PROMPT.TOCOLUMN
 * @param prompt What to list: a text, a cell or a range.
 * @param [context] More text, cells or ranges, in order (ranges reach the model as tables); last may be "options: …".
 * @param invocation Excel's invocation (not an argument).
 * @returns The items, one per row.
 */
export async function promptToColumn(
  prompt: unknown[][],
  context: unknown[][][],
  invocation: CustomFunctions.CancelableInvocation,
): Promise<unknown[][]> {
  return llm.list(currentEngine(), prompt, context, invocation, "column");
}

/**
 * Asks for a table and spills it: a header row, then the rows.
 * @customfunction TABLE
 * @param prompt What the table should hold: a text, a cell or a range.
 * @param [context] More text, cells or ranges, in order (ranges reach the model as tables); last may be "options: …".
 * @param invocation Excel's invocation (not an argument).
 * @returns The header row and the rows.
 */
export async function table(
  prompt: unknown[][],
  context: unknown[][][],
  invocation: CustomFunctions.CancelableInvocation,
): Promise<unknown[][]> {
  return llm.table(currentEngine(), prompt, context, invocation);
}

/**
 * Extracts fields from text, one cell per field, spilling right.
 * @customfunction EXTRACT
 * @param text The text to read.
 * @param fields The field names: a range, an array such as {"name","email"}, or "name, email".
 * @param [options] Options such as "model=…; temperature=0".
 * @param invocation Excel's invocation (not an argument).
 * @returns One row: each field's value, empty when the text does not give it.
 */
export async function extract(
  text: unknown,
  fields: unknown[][],
  options: string,
  invocation: CustomFunctions.CancelableInvocation,
): Promise<unknown[][]> {
  return llm.extract(currentEngine(), text, fields, options, invocation);
}

/**
 * Classifies text into exactly one of the labels.
 * @customfunction CLASSIFY
 * @param text The text to classify.
 * @param labels The labels: a range, an array such as {"positive","negative"}, or "yes, no".
 * @param [options] Options such as "model=…; temperature=0".
 * @param invocation Excel's invocation (not an argument).
 * @returns One of the labels.
 */
export async function classify(
  text: unknown,
  labels: unknown[][],
  options: string,
  invocation: CustomFunctions.CancelableInvocation,
): Promise<string> {
  return llm.classify(currentEngine(), text, labels, options, invocation);
}

/**
 * Translates text into a language.
 * @customfunction TRANSLATE
 * @param text The text to translate.
 * @param language The language to translate into, such as "French" or "pt-BR".
 * @param [options] Options such as "model=…; temperature=0".
 * @param invocation Excel's invocation (not an argument).
 * @returns The translation.
 */
export async function translate(
  text: unknown,
  language: string,
  options: string,
  invocation: CustomFunctions.CancelableInvocation,
): Promise<string> {
  return llm.translate(currentEngine(), text, language, options, invocation);
}

/**
 * Summarises text, a cell or a range.
 * @customfunction SUMMARIZE
 * @param text The text, cell or range to summarise.
 * @param [words] The most words the summary may have (default: one or two sentences).
 * @param [options] Options such as "model=…; temperature=0".
 * @param invocation Excel's invocation (not an argument).
 * @returns The summary.
 */
export async function summarize(
  text: unknown[][],
  words: number,
  options: string,
  invocation: CustomFunctions.CancelableInvocation,
): Promise<string> {
  return llm.summarize(currentEngine(), text, words, options, invocation);
}

/**
 * Ranks candidates by how close in meaning each is to the text (embeddings), spilling the closest with their scores.
 * @customfunction SIMILAR
 * @param text The text to compare.
 * @param candidates The candidates: a range, an array such as {"a","b"}, or "a, b".
 * @param [top] How many of the closest to show (default 3).
 * @param [options] Options such as "model=text-embedding-3-small".
 * @param invocation Excel's invocation (not an argument).
 * @returns One row per candidate, closest first: the candidate, and its cosine similarity (1 = the same meaning).
 */
export async function similar(
  text: unknown,
  candidates: unknown[][],
  top: number,
  options: string,
  invocation: CustomFunctions.CancelableInvocation,
): Promise<unknown[][]> {
  return llm.similar(currentEngine(), text, candidates, top, options, invocation);
}

/**
 * The candidate closest in meaning to the text (embeddings): a lookup that tolerates other wordings.
 * @customfunction CLOSEST
 * @param text The text to look up.
 * @param candidates The candidates: a range, an array such as {"a","b"}, or "a, b".
 * @param [options] Options such as "model=text-embedding-3-small".
 * @param invocation Excel's invocation (not an argument).
 * @returns The closest candidate.
 */
export async function closest(
  text: unknown,
  candidates: unknown[][],
  options: string,
  invocation: CustomFunctions.CancelableInvocation,
): Promise<string> {
  return llm.closest(currentEngine(), text, candidates, options, invocation);
}
