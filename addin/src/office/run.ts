import { EXCEL_API, requireExcelApi } from "./requirements.ts";

/** Excel.run, after checking the host has the base Excel API. */
export async function runExcel<T>(
  feature: string,
  batch: (context: Excel.RequestContext) => Promise<T>,
): Promise<T> {
  requireExcelApi(EXCEL_API.base, feature);
  return Excel.run(batch);
}

/** Excel's longest cell text. */
export const MAX_CELL_TEXT = 32_767;

/** Text Excel enters as a number, not a formula, though it starts with "+" or "-". */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A value as a cell constant: long text cut to what a cell holds, and text that Excel would
 * read as a formula (`=…`, and `+…` or `-…` but for a plain number: "- item" is a list line,
 * not a subtraction) kept as text with a leading apostrophe.
 */
export function asConstant<T extends string | number | boolean>(value: T): T | string {
  if (typeof value !== "string") return value;
  const text = value.length > MAX_CELL_TEXT ? `${value.slice(0, MAX_CELL_TEXT - 1)}…` : value;
  return /^[=+-]/.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}
