/**
 * Everything the task pane asks of Excel, behind one interface: the Office.js adapters in
 * production, and anything with the same shape in tests.
 */
import { readActiveCell } from "./active-cell.ts";
import { freezeLlmFormulas } from "./freeze.ts";
import {
  loadWorkbookText,
  readWorkbookFormulas,
  removeWorkbookText,
  replaceFormulas,
  saveWorkbookText,
} from "./formulas.ts";
import { readColumns, readSelection } from "./read-range.ts";
import type { ActiveCellInfo, CellValue, CellWrite, FreezeResult, SelectionInfo } from "./types.ts";
import {
  writeCells,
  writeRowsFromActiveCell,
  writeToActiveCell,
  type RowsWriteResult,
} from "./write-values.ts";

export type { ActiveCellInfo, CellValue, CellWrite, FreezeResult, SelectionInfo };
export type { RowsWriteResult };

export interface ExcelBridge {
  readSelection(): Promise<SelectionInfo>;
  readActiveCell(): Promise<ActiveCellInfo>;
  readColumns(
    sheet: string,
    columns: readonly number[],
    firstRow: number,
    lastRow: number,
  ): Promise<Map<number, CellValue[]>>;
  writeCells(writes: readonly CellWrite[]): Promise<void>;
  writeToActiveCell(value: CellValue): Promise<string>;
  writeRowsFromActiveCell(
    values: readonly CellValue[],
    options?: { overwrite?: boolean },
  ): Promise<RowsWriteResult>;
  freezeLlmFormulas(scope: "selection" | "sheet"): Promise<FreezeResult>;
  /** Migrate: formulas across the workbook, replaced in checked batches, a record kept in it. */
  readWorkbookFormulas: typeof readWorkbookFormulas;
  replaceFormulas: typeof replaceFormulas;
  saveWorkbookText: typeof saveWorkbookText;
  loadWorkbookText: typeof loadWorkbookText;
  removeWorkbookText: typeof removeWorkbookText;
}

/** The bridge over Office.js (each call checks the requirement sets it needs). */
export const officeExcel: ExcelBridge = {
  readSelection,
  readActiveCell,
  readColumns,
  writeCells,
  writeToActiveCell,
  writeRowsFromActiveCell,
  freezeLlmFormulas,
  readWorkbookFormulas,
  replaceFormulas,
  saveWorkbookText,
  loadWorkbookText,
  removeWorkbookText,
};
