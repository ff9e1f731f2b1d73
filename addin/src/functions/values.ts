/**
 * Turning what Excel passes in (scalars, ranges as 2-D arrays, rich values) into prompt text,
 * and what the model answers into cell values.
 */

import { fitCell } from "../shared/cell.ts";

/** What Excel may pass for one cell: text, a number, a boolean, empty, or a rich value. */
export type CellInput = unknown;

const ERROR_CODE = /^#(N\/A|GETTING_DATA|[A-Z][A-Z0-9/]*[!?])$/;

/**
 * The code of an Excel error value ("#N/A", "#DIV/0!"…), as a parameter that allows errors
 * receives one: a CustomFunctions.Error carrying it as `code`, or in some runtimes a JavaScript
 * Error whose name or message is the code. Undefined for anything else.
 */
export function errorCode(value: CellInput): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { code, name, message } = value as { code?: unknown; name?: unknown; message?: unknown };
  return [code, name, message].find(
    (candidate): candidate is string => typeof candidate === "string" && ERROR_CODE.test(candidate),
  );
}

/** The text of one cell value, as a person reading the sheet would see it (without formats). */
export function cellText(value: CellInput): string {
  if (value === null || value === undefined) return "";
  const error = errorCode(value);
  if (error !== undefined) return error;
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    // Excel keeps 15 significant digits: 0.1 + 0.2 reads as 0.3.
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15)));
  }
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "object") {
    // Rich values (entities, formatted numbers…) carry a display text or a basic value.
    const rich = value as { text?: unknown; basicValue?: unknown };
    if (typeof rich.text === "string") return rich.text;
    if (rich.basicValue !== undefined) return cellText(rich.basicValue);
    return JSON.stringify(value);
  }
  return String(value);
}

export function isEmptyCell(value: CellInput): boolean {
  return cellText(value).trim() === "";
}

/** A 2-D argument as rows of cells; a scalar (or nothing) becomes a 1×1 or 0×0 matrix. */
export function asMatrix(value: unknown): CellInput[][] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return [[value]];
  return value.map((row: unknown) => (Array.isArray(row) ? (row as CellInput[]) : [row]));
}

/** The matrix without rows and columns that are entirely empty. */
export function trimMatrix(matrix: CellInput[][]): CellInput[][] {
  const rows = matrix.filter((row) => row.some((cell) => !isEmptyCell(cell)));
  const width = Math.max(0, ...rows.map((row) => row.length));
  const keep: number[] = [];
  for (let column = 0; column < width; column++) {
    if (rows.some((row) => !isEmptyCell(row[column]))) keep.push(column);
  }
  return rows.map((row) => keep.map((column) => row[column] ?? ""));
}

const NUMERIC = /^[-+]?(\d+([.,]\d+)*|\d*\.\d+)%?$/;

type CellKind = "empty" | "text" | "number" | "boolean" | "error";

/** What a cell holds: dates are numbers in Excel, and text that reads as a number counts as one. */
function kindOf(value: CellInput): CellKind {
  if (errorCode(value) !== undefined) return "error";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return "number";
  const text = cellText(value).trim();
  if (text === "") return "empty";
  return NUMERIC.test(text) ? "number" : "text";
}

/**
 * Whether the first row of a 2-D range reads as column headings because it differs in kind from
 * the rest: every heading is text (not a number), no two alike, and at least one column below
 * holds no text at all (numbers, dates, booleans). A single row or column is a list, never a
 * heading; text over text is data, so no value is taken for a heading that is not one.
 */
export function looksLikeHeader(rows: CellInput[][]): boolean {
  if (rows.length < 2 || (rows[0]?.length ?? 0) < 2) return false;
  const [first, ...body] = rows as [CellInput[], ...CellInput[][]];
  const headings = first.map((cell) => cellText(cell).trim().toLowerCase());
  if (first.some((cell) => kindOf(cell) !== "text")) return false;
  if (new Set(headings).size !== headings.length) return false;
  return first.some((_, column) => {
    const kinds = body.map((row) => kindOf(row[column])).filter((kind) => kind !== "empty");
    return kinds.length > 0 && !kinds.includes("text");
  });
}

/** A cell's text on one line: line breaks become <br>. */
function lineText(value: CellInput): string {
  return cellText(value)
    .trim()
    .replace(/\r\n|\r|\n/g, "<br>");
}

function markdownCell(value: CellInput): string {
  return lineText(value).replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A single row or column as a labelled bulleted list, one item per non-empty cell. */
export function renderList(matrix: CellInput[][], label: string): string {
  const items = trimMatrix(matrix).flat();
  if (items.length === 0) return "";
  return [
    `${label} (${plural(items.length, "item")}):`,
    ...items.map((item) => `- ${lineText(item)}`),
  ].join("\n");
}

/**
 * A range as a labelled Markdown table: empty rows and columns dropped, the first row as the
 * header when it looks like one (else "Column 1", "Column 2"…). Empty string for an empty range.
 */
export function renderTable(matrix: CellInput[][], label: string): string {
  const rows = trimMatrix(matrix);
  if (rows.length === 0) return "";
  const hasHeader = looksLikeHeader(rows);
  const width = rows[0]!.length;
  const header = hasHeader
    ? rows[0]!.map(markdownCell)
    : Array.from({ length: width }, (_, i) => `Column ${i + 1}`);
  const body = hasHeader ? rows.slice(1) : rows;
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    `${label} (${plural(body.length, "row")} × ${plural(width, "column")}):`,
    line(header),
    line(header.map(() => "---")),
    ...body.map((row) => line(row.map(markdownCell))),
  ].join("\n");
}

/**
 * The prompt and its context, in order, as the model reads them: single cells and text join
 * the surrounding text with a space; each range is set off by blank lines, a single row or
 * column as a labelled list ("List 1"…), anything wider as a labelled table ("Table 1"…). So
 * `"Summarise", A1:C20, "in the style of", E1` reads as a sentence around a table. The prompt
 * itself may be a range too (`=LLM.PROMPT(A1:D10)`, where the cells hold the instruction).
 */
export function composePrompt(prompt: CellInput, context: unknown[]): string {
  const pieces: { kind: "text" | "range"; text: string }[] = [];
  const addText = (text: string) => {
    if (text.trim() !== "") pieces.push({ kind: "text", text: text.trim() });
  };
  let lists = 0;
  let tables = 0;
  for (const argument of [prompt, ...context]) {
    const matrix = asMatrix(argument);
    const trimmed = trimMatrix(matrix);
    if (trimmed.length === 0) continue;
    if (
      trimmed.length === 1 &&
      trimmed[0]!.length === 1 &&
      matrix.length * (matrix[0]?.length ?? 0) === 1
    ) {
      addText(cellText(trimmed[0]![0]));
    } else if (trimmed.length === 1 || trimmed[0]!.length === 1) {
      lists += 1;
      pieces.push({ kind: "range", text: renderList(trimmed, `List ${lists}`) });
    } else {
      tables += 1;
      pieces.push({ kind: "range", text: renderTable(trimmed, `Table ${tables}`) });
    }
  }
  let out = "";
  pieces.forEach((piece, index) => {
    const previous = pieces[index - 1];
    if (!previous) out = piece.text;
    else if (piece.kind === "text" && previous.kind === "text") out += ` ${piece.text}`;
    else out += `\n\n${piece.text}`;
  });
  return out;
}

/**
 * A list given as a range or array constant (each non-empty cell, row by row) or as one cell of
 * comma-separated items; trimmed, with case-insensitive duplicates dropped.
 */
export function parseList(value: unknown): string[] {
  const cells = asMatrix(value)
    .flat()
    .map((cell) => cellText(cell).trim())
    .filter((text) => text !== "");
  const items = cells.length === 1 ? cells[0]!.split(",").map((item) => item.trim()) : cells;
  const seen = new Set<string>();
  return items.filter((item) => {
    const folded = item.toLowerCase();
    if (item === "" || seen.has(folded)) return false;
    seen.add(folded);
    return true;
  });
}

const PLAIN_NUMBER = /^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$/;

/**
 * One value of a structured answer as a cell: plain decimal numbers ("42", "-3.5") become
 * numbers so they add up; anything else (including "007", "1e5", "12%") stays text, cut to
 * Excel's cell limit. Nothing (null) becomes an empty cell.
 */
export function toCell(value: unknown): string | number | boolean {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return value;
  const text = typeof value === "string" ? value.trim() : JSON.stringify(value);
  if (PLAIN_NUMBER.test(text)) return Number(text);
  return fitCell(text);
}
