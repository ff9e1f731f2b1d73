/**
 * Fill: one prompt per row, with `{{B}}` (a column letter) or `{{Header}}` (a header of the
 * first row, when it is one) replaced by that row's cell. Pure functions, tested without Excel.
 */
import { estimateTokens } from "../../../server/llm/token-estimate.ts";
import { columnIndex, columnLetter } from "../office/address.ts";
import type { CellValue } from "../office/types.ts";
import type { ModelInfo } from "./api.ts";
import { cellText as readCell } from "../functions/values.ts";

const REFERENCE = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** What a failed row's output cell shows; a cell showing it counts as empty on the next run. */
export const FAILED_MARKER = "#FAILED: ";

export interface ColumnReferences {
  /** Each reference as written (trimmed) → its 0-based column. */
  columns: Map<string, number>;
  /** References that name no column. */
  unknown: string[];
}

/** The columns a prompt refers to; headers (name → column) resolve names that are not letters. */
export function parseColumnReferences(
  prompt: string,
  headers: ReadonlyMap<string, number> = new Map(),
): ColumnReferences {
  const columns = new Map<string, number>();
  const unknown: string[] = [];
  for (const match of prompt.matchAll(REFERENCE)) {
    const name = match[1]!;
    if (columns.has(name) || unknown.includes(name)) continue;
    const header = headers.get(name.toLowerCase());
    const column = header ?? columnIndex(name);
    if (column === null) unknown.push(name);
    else columns.set(name, column);
  }
  return { columns, unknown };
}

/** How a cell reads inside a prompt: as the =LLM functions read it, trimmed. */
export function cellText(value: CellValue | undefined): string {
  return readCell(value ?? null).trim();
}

export function isEmptyCell(value: CellValue | undefined): boolean {
  return cellText(value) === "" || (typeof value === "string" && value.startsWith(FAILED_MARKER));
}

export function renderRowPrompt(
  prompt: string,
  references: ReadonlyMap<string, number>,
  cell: (column: number) => CellValue | undefined,
): string {
  return prompt.replace(REFERENCE, (whole, name: string) => {
    const column = references.get(name.trim());
    return column === undefined ? whole : cellText(cell(column));
  });
}

export interface FillRow {
  /** The sheet row (1-based). */
  row: number;
  prompt: string;
}

export interface FillPlan {
  rows: FillRow[];
  /** Rows whose referenced cells are all empty: not sent. */
  blank: number[];
  /** Rows whose output cell already holds an answer: not sent when skipping filled rows. */
  filled: number[];
}

/**
 * The rows to send. `columns` holds each referenced column's values from `firstRow` down, and
 * `output` the output column's; a header row is never sent.
 */
export function planFill(input: {
  prompt: string;
  references: ReadonlyMap<string, number>;
  firstRow: number;
  lastRow: number;
  header: boolean;
  columns: ReadonlyMap<number, readonly CellValue[]>;
  output?: readonly CellValue[];
  skipFilled: boolean;
}): FillPlan {
  const plan: FillPlan = { rows: [], blank: [], filled: [] };
  const start = input.header ? input.firstRow + 1 : input.firstRow;
  for (let row = start; row <= input.lastRow; row++) {
    const offset = row - input.firstRow;
    const cell = (column: number) => input.columns.get(column)?.[offset];
    const referenced = [...input.references.values()];
    if (referenced.length > 0 && referenced.every((column) => isEmptyCell(cell(column)))) {
      plan.blank.push(row);
      continue;
    }
    if (input.skipFilled && !isEmptyCell(input.output?.[offset])) {
      plan.filled.push(row);
      continue;
    }
    plan.rows.push({ row, prompt: renderRowPrompt(input.prompt, input.references, cell) });
  }
  return plan;
}

/** Header names (lower-cased) of a header row → their columns. */
export function headerMap(
  columns: ReadonlyMap<number, readonly CellValue[]>,
  firstColumn: number,
  lastColumn: number,
): Map<string, number> {
  const headers = new Map<string, number>();
  for (let column = firstColumn; column <= lastColumn; column++) {
    const name = cellText(columns.get(column)?.[0]).toLowerCase();
    if (name && !headers.has(name)) headers.set(name, column);
  }
  return headers;
}

/** Assumed length of one answer, for the estimate before a run. */
export const ASSUMED_OUTPUT_TOKENS = 100;

export interface CostEstimate {
  inputTokens: number;
  outputTokens: number;
  /** Null when the model's price is unknown. */
  usd: number | null;
}

/** The server's own rough estimate, before a run: each row's prompt, and an assumed answer. */
export function estimateCost(rows: readonly FillRow[], model: ModelInfo | undefined): CostEstimate {
  const inputTokens = rows.reduce((sum, row) => sum + estimateTokens(row.prompt), 0);
  const outputTokens = rows.length * ASSUMED_OUTPUT_TOKENS;
  const usd = model
    ? (inputTokens * model.pricePerMillionTokens.input +
        outputTokens * model.pricePerMillionTokens.output) /
      1_000_000
    : null;
  return { inputTokens, outputTokens, usd };
}

export function formatColumn(column: number): string {
  return columnLetter(column);
}
