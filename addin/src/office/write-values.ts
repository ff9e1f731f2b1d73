import { columnLetter, formatBlock, MAX_ROW } from "./address.ts";
import { readActiveCell } from "./active-cell.ts";
import { asConstant, runExcel } from "./run.ts";
import type { CellValue, CellWrite } from "./types.ts";

/** Groups cells of one column that follow each other, so each run is one range write. */
function columnRuns(writes: readonly CellWrite[]): CellWrite[][] {
  const sorted = [...writes].sort(
    (a, b) => a.sheet.localeCompare(b.sheet) || a.column - b.column || a.row - b.row,
  );
  const runs: CellWrite[][] = [];
  for (const write of sorted) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && last.sheet === write.sheet && last.column === write.column) {
      if (last.row + 1 === write.row) {
        run.push(write);
        continue;
      }
      if (last.row === write.row) {
        run[run.length - 1] = write; // the later write of one cell wins
        continue;
      }
    }
    runs.push([write]);
  }
  return runs;
}

/** Writes values into cells (anywhere in the workbook) in one round trip. */
export function writeCells(writes: readonly CellWrite[]): Promise<void> {
  if (writes.length === 0) return Promise.resolve();
  return runExcel("Writing to cells", async (context) => {
    for (const run of columnRuns(writes)) {
      const first = run[0]!;
      const letter = columnLetter(first.column);
      const range = context.workbook.worksheets
        .getItem(first.sheet)
        .getRange(`${letter}${first.row}:${letter}${first.row + run.length - 1}`);
      range.values = run.map((write) => [asConstant(write.value)]);
    }
    await context.sync();
  });
}

/** Writes one value into the active cell; answers the cell's address. */
export async function writeToActiveCell(value: CellValue): Promise<string> {
  const cell = await readActiveCell();
  await writeCells([{ sheet: cell.sheet, column: cell.column, row: cell.row, value }]);
  return cell.address;
}

export type RowsWriteResult =
  { written: true; address: string } | { written: false; address: string; occupied: number };

/**
 * Writes values down a column, starting at the active cell, one per row. Unless `overwrite`,
 * nothing is written when a cell below the active one already holds something: the answer says
 * how many, so the pane can ask first.
 */
export async function writeRowsFromActiveCell(
  values: readonly CellValue[],
  options: { overwrite?: boolean } = {},
): Promise<RowsWriteResult> {
  const cell = await readActiveCell();
  if (values.length === 0) return { written: true, address: cell.address };
  const lastRow = cell.row + values.length - 1;
  if (lastRow > MAX_ROW) throw new Error("Not enough rows below the active cell");
  const block = {
    sheet: cell.sheet,
    firstRow: cell.row,
    lastRow,
    firstColumn: cell.column,
    lastColumn: cell.column,
  };
  const address = formatBlock(block);
  if (!options.overwrite && values.length > 1) {
    const occupied = await runExcel("Reading cells", async (context) => {
      const letter = columnLetter(cell.column);
      const below = context.workbook.worksheets
        .getItem(cell.sheet)
        .getRange(`${letter}${cell.row + 1}:${letter}${lastRow}`);
      below.load("values");
      await context.sync();
      return below.values.filter((row) => row[0] !== "" && row[0] !== null).length;
    });
    if (occupied > 0) return { written: false, address, occupied };
  }
  await writeCells(
    values.map((value, index) => ({
      sheet: cell.sheet,
      column: cell.column,
      row: cell.row + index,
      value,
    })),
  );
  return { written: true, address };
}
