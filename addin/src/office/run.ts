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

/**
 * A value as a cell constant: long text cut to what a cell holds, and text that Excel would
 * read as a formula (`=…`) kept as text with a leading apostrophe.
 */
export function asConstant<T extends string | number | boolean>(value: T): T | string {
  if (typeof value !== "string") return value;
  const text = value.length > MAX_CELL_TEXT ? `${value.slice(0, MAX_CELL_TEXT - 1)}…` : value;
  return text.startsWith("=") ? `'${text}` : text;
}
