import { columnLetter, parseAddress, quoteSheet } from "./address.ts";
import { EXCEL_API, supportsExcelApi } from "./requirements.ts";
import { runExcel } from "./run.ts";
import type { CellValue, SelectionInfo } from "./types.ts";

/** A selection taller than this (a whole column) is cut to the cells in use. */
const WHOLE_COLUMN_ROWS = 100_000;

/** The selected range's address, cut to the used cells when whole columns are selected. */
export function readSelection(): Promise<SelectionInfo> {
  return runExcel("Reading the selection", async (context) => {
    let range = context.workbook.getSelectedRange();
    range.load("address,rowCount");
    await context.sync();
    if (range.rowCount > WHOLE_COLUMN_ROWS && supportsExcelApi(EXCEL_API.usedRangeOrNull)) {
      const used = range.getUsedRangeOrNullObject(true);
      used.load("address");
      await context.sync();
      if (!used.isNullObject) range = used;
    }
    const block = parseAddress(range.address);
    if (!block) throw new Error(`Select one block of cells (got ${range.address})`);
    return { address: range.address, block };
  });
}

/** The values of whole columns between two rows of one sheet, by 0-based column index. */
export function readColumns(
  sheet: string,
  columns: readonly number[],
  firstRow: number,
  lastRow: number,
): Promise<Map<number, CellValue[]>> {
  return runExcel("Reading cells", async (context) => {
    const worksheet = context.workbook.worksheets.getItem(sheet);
    const ranges = [...new Set(columns)].map((column) => {
      const letter = columnLetter(column);
      const range = worksheet.getRange(`${letter}${firstRow}:${letter}${lastRow}`);
      range.load("values");
      return { column, range };
    });
    await context.sync();
    return new Map(
      ranges.map(({ column, range }) => [
        column,
        range.values.map((row) => (row[0] ?? "") as CellValue),
      ]),
    );
  });
}

/** `Sheet!A1:A9` for a column between two rows. */
export function columnAddress(sheet: string, column: number, firstRow: number, lastRow: number) {
  const letter = columnLetter(column);
  return `${quoteSheet(sheet)}!${letter}${firstRow}:${letter}${lastRow}`;
}
