import { fitCell, isExactNumber } from "../shared/cell.ts";
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
 * An answer as a cell constant. Excel converts text as if it were typed: "=…", "+…" and "-…"
 * become formulas ("- item" included), "3/4" or "1-2" dates, "50%" a percentage, "TRUE" a
 * boolean, "007" the number 7. So text is written as text, after a leading apostrophe (a marker
 * Excel keeps and does not show), unless it is a number Excel keeps exactly, which is written to
 * become that number. Long text is cut to what a cell holds.
 */
export function asConstant<T extends string | number | boolean>(value: T): T | string {
  if (typeof value !== "string" || value === "") return value;
  const text = fitCell(value);
  return isExactNumber(text) ? text : `'${text}`;
}

/** Excel's error values: typed, each becomes the error again. */
const ERROR_VALUE =
  /^#(NULL!|DIV\/0!|VALUE!|REF!|NAME\?|NUM!|N\/A|GETTING_DATA|SPILL!|CONNECT!|BLOCKED!|UNKNOWN!|FIELD!|CALC!|BUSY!)$/;

/**
 * A value read from a cell, to write back as it is (Freeze): numbers and booleans stay, an error
 * value is entered as that error again, and any other text stays text, even "42".
 */
export function asFrozen(value: string | number | boolean): string | number | boolean {
  if (typeof value !== "string" || value === "" || ERROR_VALUE.test(value)) return value;
  return `'${value}`;
}
