/**
 * An in-memory Excel for the Office Scripts' tests: the ExcelScript calls the scripts make
 * (office-scripts/excelscript.d.ts), over a grid of cells per worksheet. It keeps Excel's rules
 * that the scripts depend on: zero-based row and column indexes, "" for an empty cell, a used
 * range that spans the cells holding a value (none: `undefined`), ranges that must stay inside
 * the 1,048,576 × 16,384 grid, and text entered as if typed: a plain number becomes a number, a
 * leading apostrophe keeps the rest as text, and "=…", "+…" or "-…" would be a formula. It
 * evaluates no formula: entering one throws, as does text longer than the 32,767 characters a
 * cell holds, so a test sees the mistake instead of a value Excel would not have kept.
 */

type Value = string | number | boolean;

export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;
export const MAX_CELL_TEXT = 32_767;

/** "A" → 0, "AA" → 26. */
export function columnIndex(letters: string): number {
  let index = 0;
  for (const letter of letters.toUpperCase()) index = index * 26 + letter.charCodeAt(0) - 64;
  return index - 1;
}

/** 0 → "A", 26 → "AA". */
export function columnName(index: number): string {
  let name = "";
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    name = String.fromCharCode(65 + ((rest - 1) % 26)) + name;
  }
  return name;
}

/** "B7" → row 6, column 1; "$B$7" too. */
function parseCell(address: string): { row: number; column: number } {
  const match = /^\$?([A-Z]{1,3})\$?(\d{1,7})$/i.exec(address.trim());
  const row = Number(match?.[2]) - 1;
  const column = match ? columnIndex(match[1]!) : -1;
  if (!match || row < 0 || row >= MAX_ROWS || column >= MAX_COLUMNS) {
    throw new Error(`FakeWorkbook: "${address}" is not a cell address`);
  }
  return { row, column };
}

function cellAddress(row: number, column: number): string {
  return `${columnName(column)}${row + 1}`;
}

const plainNumber = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** What Excel keeps when a value is entered: undefined for an empty cell. */
function entered(value: unknown): Value | undefined {
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value !== "string") throw new Error(`FakeWorkbook: cannot enter ${String(value)}`);
  if (value.startsWith("'")) return checkedText(value.slice(1));
  if (value === "") return undefined;
  if (plainNumber.test(value.trim())) return Number(value);
  if (/^[=+-]/.test(value)) {
    throw new Error(`FakeWorkbook: Excel would enter ${JSON.stringify(value)} as a formula`);
  }
  return checkedText(value);
}

function checkedText(text: string): string {
  if (text.length > MAX_CELL_TEXT) {
    throw new Error(`FakeWorkbook: ${text.length} characters do not fit in a cell`);
  }
  return text;
}

export class FakeWorkbook implements ExcelScript.Workbook {
  readonly #sheets: FakeWorksheet[] = [];
  #selection: FakeRange | undefined;

  /** Sheets by name, each with its cells by address: `{ Sheet1: { A1: "Prompt", A2: 3 } }`. */
  constructor(sheets: Record<string, Record<string, Value>> = { Sheet1: {} }) {
    for (const [name, cells] of Object.entries(sheets)) this.addWorksheet(name).put(cells);
  }

  addWorksheet(name: string): FakeWorksheet {
    const sheet = new FakeWorksheet(name);
    this.#sheets.push(sheet);
    return sheet;
  }

  /** Sheet names compare without regard to case, as in Excel. */
  getWorksheet(key: string): FakeWorksheet | undefined {
    return this.#sheets.find((sheet) => sheet.getName().toLowerCase() === key.toLowerCase());
  }

  sheet(name: string): FakeWorksheet {
    const sheet = this.getWorksheet(name);
    if (!sheet) throw new Error(`FakeWorkbook: no sheet ${name}`);
    return sheet;
  }

  /** Selects a range, as the user would before running a script: `select("Sheet1", "A2:A9")`. */
  select(sheetName: string, address: string): void {
    this.#selection = this.sheet(sheetName).getRange(address);
  }

  getSelectedRange(): FakeRange {
    if (!this.#selection) throw new Error("FakeWorkbook: nothing is selected");
    return this.#selection;
  }
}

export class FakeWorksheet implements ExcelScript.Worksheet {
  readonly #name: string;
  /** Non-empty cells by "row,column" (zero-based). */
  readonly #cells = new Map<string, Value>();
  /** How many times a script read cell values (getValues / getTexts) from this sheet. */
  reads = 0;

  constructor(name: string) {
    this.#name = name;
  }

  getName(): string {
    return this.#name;
  }

  getCell(row: number, column: number): FakeRange {
    return new FakeRange(this, row, column, 1, 1);
  }

  /** "B2", "B2:C10", or the whole sheet without an address. */
  getRange(address?: string): FakeRange {
    if (address === undefined) return new FakeRange(this, 0, 0, MAX_ROWS, MAX_COLUMNS);
    const corners = address.split(":");
    if (corners.length > 2) throw new Error(`FakeWorkbook: "${address}" is not a range address`);
    const from = parseCell(corners[0]!);
    const to = parseCell(corners[1] ?? corners[0]!);
    const top = Math.min(from.row, to.row);
    const left = Math.min(from.column, to.column);
    return new FakeRange(
      this,
      top,
      left,
      Math.max(from.row, to.row) - top + 1,
      Math.max(from.column, to.column) - left + 1,
    );
  }

  getRangeByIndexes(
    startRow: number,
    startColumn: number,
    rowCount: number,
    columnCount: number,
  ): FakeRange {
    return new FakeRange(this, startRow, startColumn, rowCount, columnCount);
  }

  /** The fake keeps no formatting, so every used cell holds a value either way. */
  getUsedRange(_valuesOnly?: boolean): FakeRange | undefined {
    if (this.#cells.size === 0) return undefined;
    const places = [...this.#cells.keys()].map((key) => key.split(",").map(Number));
    const rows = places.map(([row]) => row!);
    const columns = places.map(([, column]) => column!);
    const top = Math.min(...rows);
    const left = Math.min(...columns);
    return new FakeRange(
      this,
      top,
      left,
      Math.max(...rows) - top + 1,
      Math.max(...columns) - left + 1,
    );
  }

  // ---- for the tests, not part of ExcelScript ----

  /** Stores values as they are (no typing rules): `{ A2: "Prompt", B2: 3 }`. */
  put(cells: Record<string, Value>): this {
    for (const [address, value] of Object.entries(cells)) {
      const { row, column } = parseCell(address);
      this.store(row, column, value === "" ? undefined : value);
    }
    return this;
  }

  /** The value at an address, "" when empty. */
  value(address: string): Value {
    const { row, column } = parseCell(address);
    return this.read(row, column);
  }

  /** Every non-empty cell by address, to compare a whole sheet before and after. */
  snapshot(): Record<string, Value> {
    const cells: Record<string, Value> = {};
    for (const [key, value] of this.#cells) {
      const [row, column] = key.split(",").map(Number);
      cells[cellAddress(row!, column!)] = value;
    }
    return cells;
  }

  read(row: number, column: number): Value {
    return this.#cells.get(`${row},${column}`) ?? "";
  }

  store(row: number, column: number, value: Value | undefined): void {
    if (value === undefined) this.#cells.delete(`${row},${column}`);
    else this.#cells.set(`${row},${column}`, value);
  }
}

export class FakeRange implements ExcelScript.Range {
  readonly #sheet: FakeWorksheet;
  readonly #row: number;
  readonly #column: number;
  readonly #rows: number;
  readonly #columns: number;

  constructor(sheet: FakeWorksheet, row: number, column: number, rows: number, columns: number) {
    const inside =
      [row, column, rows, columns].every(Number.isInteger) &&
      row >= 0 &&
      column >= 0 &&
      rows >= 1 &&
      columns >= 1 &&
      row + rows <= MAX_ROWS &&
      column + columns <= MAX_COLUMNS;
    if (!inside) {
      throw new Error(
        `FakeWorkbook: row ${row}, column ${column}, ${rows} × ${columns} is outside the sheet`,
      );
    }
    this.#sheet = sheet;
    this.#row = row;
    this.#column = column;
    this.#rows = rows;
    this.#columns = columns;
  }

  getColumnIndex(): number {
    return this.#column;
  }

  getRowIndex(): number {
    return this.#row;
  }

  getRowCount(): number {
    return this.#rows;
  }

  getValues(): Value[][] {
    this.#sheet.reads++;
    return this.#grid((row, column) => this.#sheet.read(row, column));
  }

  /** What the cells display; the fake has no number formats, so numbers show as JavaScript's. */
  getTexts(): string[][] {
    this.#sheet.reads++;
    return this.#grid((row, column) => {
      const value = this.#sheet.read(row, column);
      return typeof value === "boolean" ? (value ? "TRUE" : "FALSE") : String(value);
    });
  }

  getCell(row: number, column: number): FakeRange {
    return new FakeRange(this.#sheet, this.#row + row, this.#column + column, 1, 1);
  }

  getWorksheet(): FakeWorksheet {
    return this.#sheet;
  }

  /** Every cell of the range gets the value; `null` is ignored, as Excel does. */
  setValue(value: unknown): void {
    if (value === null) return;
    const kept = entered(value);
    for (let row = this.#row; row < this.#row + this.#rows; row++) {
      for (let column = this.#column; column < this.#column + this.#columns; column++) {
        this.#sheet.store(row, column, kept);
      }
    }
  }

  #grid<T>(cell: (row: number, column: number) => T): T[][] {
    if (this.#rows * this.#columns > 5_000_000) {
      throw new Error("FakeWorkbook: a range is limited to five million cells");
    }
    return Array.from({ length: this.#rows }, (_, r) =>
      Array.from({ length: this.#columns }, (_, c) => cell(this.#row + r, this.#column + c)),
    );
  }
}
