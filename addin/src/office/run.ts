import { fitCell, isPlainNumber } from "../shared/cell.ts";
import { EXCEL_API, requireExcelApi } from "./requirements.ts";

/** Excel.run, after checking the host has the base Excel API. */
export async function runExcel<T>(
  feature: string,
  batch: (context: Excel.RequestContext) => Promise<T>,
): Promise<T> {
  requireExcelApi(EXCEL_API.base, feature);
  return Excel.run(batch);
}

/**
 * A value as a cell constant. Excel converts text as if it were typed: "=…", "+…" and "-…"
 * become formulas ("- item" included), "3/4" or "1-2" dates, "50%" a percentage, "TRUE" a
 * boolean, "007" the number 7. So text is written as text, after a leading apostrophe (a marker
 * Excel keeps and does not show), unless it is a plain number, which is written to become that
 * number. Long text is cut to what a cell holds.
 */
export function asConstant<T extends string | number | boolean>(value: T): T | string {
  if (typeof value !== "string" || value === "") return value;
  const text = fitCell(value);
  return isPlainNumber(text) ? text : `'${text}`;
}
