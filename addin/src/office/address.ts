/**
 * A1 addresses without Office.js: column letters, sheet names, blocks of cells. Rows are
 * Excel's 1-based row numbers; columns are 0-based indexes (A = 0).
 */

export interface CellBlock {
  sheet: string;
  firstRow: number;
  lastRow: number;
  firstColumn: number;
  lastColumn: number;
}

/** Excel's last column (XFD) and row. */
export const MAX_COLUMN = 16_383;
export const MAX_ROW = 1_048_576;

export function columnLetter(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_COLUMN)
    throw new RangeError(`No column at index ${index}`);
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** The 0-based index of a column's letters (case-insensitive), or null when they name none. */
export function columnIndex(letters: string): number | null {
  if (!/^[A-Za-z]{1,3}$/.test(letters)) return null;
  let n = 0;
  for (const char of letters.toUpperCase()) n = n * 26 + (char.charCodeAt(0) - 64);
  return n - 1 <= MAX_COLUMN ? n - 1 : null;
}

/** A sheet name as it appears before `!`: quoted when it holds anything but letters and digits. */
export function quoteSheet(sheet: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(sheet) ? sheet : `'${sheet.replace(/'/g, "''")}'`;
}

export function formatBlock(block: CellBlock): string {
  const start = `${columnLetter(block.firstColumn)}${block.firstRow}`;
  const end = `${columnLetter(block.lastColumn)}${block.lastRow}`;
  return `${quoteSheet(block.sheet)}!${start === end ? start : `${start}:${end}`}`;
}

export function cellAddress(sheet: string, column: number, row: number): string {
  return formatBlock({
    sheet,
    firstRow: row,
    lastRow: row,
    firstColumn: column,
    lastColumn: column,
  });
}

const cellPattern = /^\$?([A-Za-z]{1,3})?\$?(\d+)?$/;

/**
 * Parses an address as Excel reports it (`Sheet1!A2:C21`, `'My sheet'!B3`, `Sheet1!A:A`,
 * `Sheet1!3:5`); `defaultSheet` serves addresses without a sheet. Null when it is not one block.
 */
export function parseAddress(address: string, defaultSheet = ""): CellBlock | null {
  let sheet = defaultSheet;
  let cells = address.trim();
  const bang = cells.lastIndexOf("!");
  if (bang >= 0) {
    const rawSheet = cells.slice(0, bang);
    cells = cells.slice(bang + 1);
    sheet =
      rawSheet.startsWith("'") && rawSheet.endsWith("'") && rawSheet.length >= 2
        ? rawSheet.slice(1, -1).replace(/''/g, "'")
        : rawSheet;
  }
  const [startText, endText = startText, extra] = cells.split(":");
  if (!startText || extra !== undefined) return null;
  const start = cellPattern.exec(startText);
  const end = cellPattern.exec(endText!);
  if (!start || !end || (!start[1] && !start[2]) || (!end[1] && !end[2])) return null;
  const firstColumn = start[1] ? columnIndex(start[1]) : 0;
  const lastColumn = end[1] ? columnIndex(end[1]) : MAX_COLUMN;
  const firstRow = start[2] ? Number(start[2]) : 1;
  const lastRow = end[2] ? Number(end[2]) : MAX_ROW;
  if (firstColumn === null || lastColumn === null || firstRow < 1 || lastRow > MAX_ROW) return null;
  return {
    sheet,
    firstRow: Math.min(firstRow, lastRow),
    lastRow: Math.max(firstRow, lastRow),
    firstColumn: Math.min(firstColumn, lastColumn),
    lastColumn: Math.max(firstColumn, lastColumn),
  };
}

export function blockRowCount(block: CellBlock): number {
  return block.lastRow - block.firstRow + 1;
}
