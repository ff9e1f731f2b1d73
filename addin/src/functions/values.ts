/**
 * Turning what Excel passes in (scalars, ranges as 2-D arrays, rich values) into prompt text,
 * and what the model answers into cell values.
 */

import { fitCell } from "../shared/cell.ts";

/** What Excel may pass for one cell: text, a number, a boolean, empty, or a rich value. */
export type CellInput = unknown;

/** The text of one cell value, as a person reading the sheet would see it (without formats). */
export function cellText(value: CellInput): string {
  if (value === null || value === undefined) return "";
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

/**
 * Whether the first row reads as column headings: at least one row below it, every heading
 * non-empty text that is not a number, short, distinct, and not repeated in its own column.
 */
export function looksLikeHeader(rows: CellInput[][]): boolean {
  if (rows.length < 2) return false;
  const [first, ...body] = rows as [CellInput[], ...CellInput[][]];
  const seen = new Set<string>();
  return first.every((cell, column) => {
    if (typeof cell !== "string") return false;
    const text = cell.trim();
    if (text === "" || text.length > 60 || NUMERIC.test(text)) return false;
    const folded = text.toLowerCase();
    if (seen.has(folded)) return false;
    seen.add(folded);
    return !body.some((row) => cellText(row[column]).trim().toLowerCase() === folded);
  });
}

function markdownCell(value: CellInput): string {
  return cellText(value)
    .trim()
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r\n|\r|\n/g, "<br>");
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
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return [
    `${label} (${plural(body.length, "row")} × ${plural(width, "column")}):`,
    line(header),
    line(header.map(() => "---")),
    ...body.map((row) => line(row.map(markdownCell))),
  ].join("\n");
}

/**
 * The prompt and its context, in order, as the model reads them: single cells and text join
 * the surrounding text with a space; each range becomes a labelled table ("Table 1"…) set off
 * by blank lines. So `"Summarise", A1:C20, "in the style of", E1` reads as a sentence around a
 * table.
 */
export function composePrompt(prompt: CellInput, context: unknown[]): string {
  const pieces: { kind: "text" | "table"; text: string }[] = [];
  const addText = (text: string) => {
    if (text.trim() !== "") pieces.push({ kind: "text", text: text.trim() });
  };
  addText(cellText(prompt));
  let tables = 0;
  for (const argument of context) {
    const matrix = asMatrix(argument);
    const trimmed = trimMatrix(matrix);
    if (trimmed.length === 0) continue;
    if (
      trimmed.length === 1 &&
      trimmed[0]!.length === 1 &&
      matrix.length * (matrix[0]?.length ?? 0) === 1
    ) {
      addText(cellText(trimmed[0]![0]));
    } else {
      tables += 1;
      pieces.push({ kind: "table", text: renderTable(trimmed, `Table ${tables}`) });
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
