import { parseAddress } from "./address.ts";
import { EXCEL_API, supportsExcelApi } from "./requirements.ts";
import { runExcel } from "./run.ts";
import type { ActiveCellInfo } from "./types.ts";

/**
 * The active cell: Workbook.getActiveCell where the host has ExcelApi 1.7, else the top-left
 * cell of the selection (the same cell unless the user moved inside a multi-cell selection).
 */
export function readActiveCell(): Promise<ActiveCellInfo> {
  return runExcel("Finding the active cell", async (context) => {
    const cell = supportsExcelApi(EXCEL_API.activeCell)
      ? context.workbook.getActiveCell()
      : context.workbook.getSelectedRange().getCell(0, 0);
    cell.load("address");
    await context.sync();
    const block = parseAddress(cell.address);
    if (!block) throw new Error(`Unexpected active cell address ${cell.address}`);
    return {
      address: cell.address,
      sheet: block.sheet,
      column: block.firstColumn,
      row: block.firstRow,
    };
  });
}
