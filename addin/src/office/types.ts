import type { CellBlock } from "./address.ts";

/** What a cell holds, as Range.values reports it ("" for an empty cell). */
export type CellValue = string | number | boolean;

/** One cell to write: its sheet, 0-based column and 1-based row. */
export interface CellWrite {
  sheet: string;
  column: number;
  row: number;
  value: CellValue;
}

export interface SelectionInfo {
  /** As Excel reports it, e.g. `Sheet1!A2:C21`. */
  address: string;
  block: CellBlock;
}

export interface ActiveCellInfo {
  address: string;
  sheet: string;
  column: number;
  row: number;
}

export interface FreezeResult {
  /** The range that was looked at. */
  address: string;
  /** Formulas replaced by their values. */
  frozen: number;
  /** =LLM.* formulas left alone because they showed an error or were still calculating. */
  skipped: number;
}
