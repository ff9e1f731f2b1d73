/**
 * An in-memory Excel for the Office Scripts' tests: the ExcelScript calls the scripts make
 * (office-scripts/excelscript.d.ts), over a grid of cells per worksheet, and a few more for the
 * tests (getRange by address, getValues). It keeps Excel's rules that the scripts depend on:
 * - zero-based row and column indexes, "" for an empty cell in getValues and getTexts, and
 *   getValueTypes as Excel gives it: "Empty" for a cell holding nothing (a cell holding spaces
 *   is a "String"), "Double" for any number, "String", "Boolean", and "Error" for an error
 *   value (`cellError("#N/A")`, which getValues and getTexts show as its code);
 * - a used range that spans the cells holding a value (none: `undefined`), and ranges that
 *   must stay inside the 1,048,576 × 16,384 grid;
 * - Office Scripts' exchanges with the workbook and their limit of 5 MB. Writes (setValue) are
 *   not sent at once: they wait until the script next reads cell values (getValues, getTexts,
 *   getValueTypes), and go with that read, or with the last exchange when the script ends
 *   (`flush`, which the script loader calls when main returns). Each exchange is measured as
 *   the length in UTF-8 of its JSON: the values written since the last one and the read's
 *   answer, together, and throws above 5,000,000 bytes (5 MB read as 5 × 10⁶ bytes, and request
 *   and response counted as one: the smaller readings, so that what passes here passes in Excel
 *   either way). The fake stores each write at once (it throws at once for what Excel would not
 *   keep as given, below), and counts only reads of cell values as exchanges, although in Excel
 *   any call that reads (getRowIndex…) sends the writes waiting too. Each exchange is logged in
 *   the workbook's `exchanges`, and each read in its sheet's `readLog`, for the tests to see;
 * - text entered as if typed (the fake evaluates no formula): a leading apostrophe keeps the
 *   rest as text, as it is. Without one, a plain number becomes a number (leading zeros
 *   dropped, and only 15 significant digits kept: "02134" becomes 2134, and
 *   "12345678901234567890" 12345678901234500000), "TRUE" or "FALSE" (any case) a boolean, and a
 *   percentage ("50%") a number (0.5; the fake keeps no number formats). "=…", "+…" or "-…" would be a formula, and dates ("3/4", "1-2", "2024-01-05",
 *   "4-Jan", "March 2024"), times ("10:30", "9:05 pm", "7 AM"), currency amounts ("$5"),
 *   numbers with thousands separators ("1,000"), fractions ("1 1/2") and numbers in brackets
 *   ("(5)") would become numbers whose reading depends on the locale: entering any of these
 *   throws, as does text longer than the 32,767 characters a cell holds, so that a test sees
 *   the mistake instead of a value Excel would not have kept as the text given.
 */
import { columnIndex, columnLetter, MAX_COLUMN, MAX_ROW } from "../../addin/src/office/address.ts";

type Value = string | number | boolean;

export const MAX_ROWS = MAX_ROW;
export const MAX_COLUMNS = MAX_COLUMN + 1;
export const MAX_CELL_TEXT = 32_767;
/** Office Scripts' 5 MB an exchange (here a request and its response together), in UTF-8 JSON. */
export const MAX_EXCHANGE_BYTES = 5_000_000;

/**
 * ExcelScript.RangeValueType at run time: Office Scripts give each member as a string, its name
 * capitalised. The script loader (load-script.ts) hands it to the scripts as `ExcelScript`.
 */
export const RangeValueType = {
  unknown: "Unknown",
  empty: "Empty",
  string: "String",
  integer: "Integer",
  double: "Double",
  boolean: "Boolean",
  error: "Error",
  richValue: "RichValue",
} as unknown as typeof ExcelScript.RangeValueType;

/** An error value in a cell ("#N/A", "#DIV/0!"…), as a formula can leave one. */
export class CellError {
  readonly code: string;
  constructor(code: string) {
    this.code = code;
  }
}

export function cellError(code: string): CellError {
  return new CellError(code);
}

type Stored = Value | CellError;

/** One exchange with the workbook: a read of cell values, or the end of the script's run. */
export interface ExchangeRecord {
  /** The read ("getTexts of A1:A25"), or "end of the script" for the last exchange. */
  what: string;
  /** Bytes of the values written since the last exchange, which this one sent (UTF-8 JSON). */
  written: number;
  /** Bytes of the read's answer (UTF-8 JSON); 0 at the end of the script. */
  read: number;
}

/** One read of cell values by a script: what it called, on which block, and the answer's size. */
export interface ReadRecord {
  kind: "getValues" | "getTexts" | "getValueTypes";
  address: string;
  rows: number;
  columns: number;
  bytes: number;
}

/** "B7" → row 6, column 1; "$B$7" too. */
function parseCell(address: string): { row: number; column: number } {
  const match = /^\$?([A-Z]{1,3})\$?(\d{1,7})$/i.exec(address.trim());
  const row = Number(match?.[2]) - 1;
  const column = match ? columnIndex(match[1]!) : null;
  if (!match || column === null || row < 0 || row >= MAX_ROWS) {
    throw new Error(`FakeWorkbook: "${address}" is not a cell address`);
  }
  return { row, column };
}

function cellAddress(row: number, column: number): string {
  return `${columnLetter(column)}${row + 1}`;
}

const plainNumber = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const percentage = /^[+-]?(\d+\.?\d*|\.\d+)\s*%$/;
const month = `(${[
  "jan(uary)?",
  "feb(ruary)?",
  "mar(ch)?",
  "apr(il)?",
  "may",
  "june?",
  "july?",
  "aug(ust)?",
  "sept?(ember)?",
  "oct(ober)?",
  "nov(ember)?",
  "dec(ember)?",
].join("|")})\\.?`;

/** Text that Excel turns into a number of its own reading when it is entered as it is. */
const converted: [RegExp, string][] = [
  [/^\d{1,4}[/-]\d{1,2}([/-]\d{1,4})?$/, "a date"],
  [new RegExp(`^\\d{1,2}[-/ ]${month}([-/ ]\\d{2,4})?$`, "i"), "a date"],
  [new RegExp(`^${month}[-/ ]\\d{1,4}(,? \\d{2,4})?$`, "i"), "a date"],
  [/^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(\s*[ap]\.?m?\.?)?$/i, "a time"],
  [/^\d{1,2}\s*[ap]\.?m\.?$/i, "a time"],
  [/^[$€£¥]\s*[+-]?(\d{1,3}(,\d{3})*|\d+)?(\.\d+)?$/, "a currency amount"],
  [/^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/, "a number"],
  [/^[+-]?\d+ \d+\/\d+$/, "a fraction"],
  [/^\(\d+(\.\d+)?\)$/, "a negative number"],
];

/** What Excel keeps when a value is entered: undefined for an empty cell. */
function entered(value: unknown): Value | undefined {
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value !== "string") throw new Error(`FakeWorkbook: cannot enter ${String(value)}`);
  if (value.startsWith("'")) return checkedText(value.slice(1));
  if (value === "") return undefined;
  const trimmed = value.trim();
  if (plainNumber.test(trimmed)) return fifteenDigits(trimmed);
  if (/^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === "true";
  if (percentage.test(trimmed)) return Number(trimmed.replace(/\s*%$/, "")) / 100;
  if (/^[=+-]/.test(value)) {
    throw new Error(`FakeWorkbook: Excel would enter ${JSON.stringify(value)} as a formula`);
  }
  const as = converted.find(([pattern]) => pattern.test(trimmed))?.[1];
  if (as) throw new Error(`FakeWorkbook: Excel would enter ${JSON.stringify(value)} as ${as}`);
  return checkedText(value);
}

/** A plain number as Excel keeps it: 15 significant digits, those past the 15th made zeros. */
function fifteenDigits(text: string): number {
  const [mantissa = "", exponent = ""] = text.split(/(?=[eE])/);
  let significant = 0;
  const kept = mantissa.replace(/\d/g, (digit) => {
    if (significant > 0 || digit !== "0") significant++;
    return significant > 15 ? "0" : digit;
  });
  return Number(kept + exponent);
}

function checkedText(text: string): string {
  if (text.length > MAX_CELL_TEXT) {
    throw new Error(`FakeWorkbook: ${text.length} characters do not fit in a cell`);
  }
  return text;
}

/** What a payload weighs in an exchange: its JSON's length in UTF-8. */
function jsonBytes(payload: unknown): number {
  return Buffer.byteLength(JSON.stringify(payload), "utf8");
}

/** A workbook's side of its exchanges with a script: the writes waiting, and the log. */
class Connection {
  /** Bytes of the values written since the last exchange. */
  waiting = 0;
  readonly log: ExchangeRecord[] = [];

  /** One exchange: the writes waiting, and a read's answer of `read` bytes. */
  send(what: string, read: number): void {
    const written = this.waiting;
    const bytes = written + read;
    if (bytes > MAX_EXCHANGE_BYTES) {
      const writes = written > 0 ? ` (${written} of them writes made before it)` : "";
      throw new Error(
        `FakeWorkbook: ${what} exchanges ${bytes} bytes with the workbook${writes}; Office Scripts allow 5 MB`,
      );
    }
    this.waiting = 0;
    this.log.push({ what, written, read });
  }
}

export class FakeWorkbook implements ExcelScript.Workbook {
  readonly #sheets: FakeWorksheet[] = [];
  readonly #connection = new Connection();
  #selection: FakeRange | undefined;

  /** Every exchange with the workbook, in order: each read of cell values, and the end. */
  get exchanges(): readonly ExchangeRecord[] {
    return this.#connection.log;
  }

  /** Sheets by name, each with its cells by address: `{ Sheet1: { A1: "Prompt", A2: 3 } }`. */
  constructor(sheets: Record<string, Record<string, Value | CellError>> = { Sheet1: {} }) {
    for (const [name, cells] of Object.entries(sheets)) this.addWorksheet(name).put(cells);
  }

  addWorksheet(name: string): FakeWorksheet {
    const sheet = new FakeWorksheet(name, this.#connection);
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

  /**
   * The end of a script's run (the script loader calls it when main returns): the writes still
   * waiting go to the workbook, in one last exchange, logged as "end of the script" when there
   * are any.
   */
  flush(): void {
    if (this.#connection.waiting > 0) this.#connection.send("end of the script", 0);
  }
}

export class FakeWorksheet implements ExcelScript.Worksheet {
  readonly #name: string;
  /** The workbook's side of its exchanges with a script, which its sheets share. */
  readonly connection: Connection;
  /** Non-empty cells by "row,column" (zero-based). */
  readonly #cells = new Map<string, Stored>();
  /** Every read of cell values (getValues, getTexts, getValueTypes) from this sheet, in order. */
  readonly readLog: ReadRecord[] = [];

  /** How many times a script read cell values from this sheet. */
  get reads(): number {
    return this.readLog.length;
  }

  constructor(name: string, connection: Connection) {
    this.#name = name;
    this.connection = connection;
  }

  getName(): string {
    return this.#name;
  }

  getCell(row: number, column: number): FakeRange {
    return new FakeRange(this, row, column, 1, 1);
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
    let [top, left, bottom, right] = [MAX_ROWS, MAX_COLUMNS, 0, 0];
    for (const key of this.#cells.keys()) {
      const [row, column] = key.split(",").map(Number) as [number, number];
      [top, bottom] = [Math.min(top, row), Math.max(bottom, row)];
      [left, right] = [Math.min(left, column), Math.max(right, column)];
    }
    return new FakeRange(this, top, left, bottom - top + 1, right - left + 1);
  }

  // ---- for the tests, not part of what the scripts use ----

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

  /** Stores values as they are, with no typing rules: `{ A2: "Q", B2: 3, C2: cellError("#N/A") }`. */
  put(cells: Record<string, Value | CellError>): this {
    for (const [address, value] of Object.entries(cells)) {
      const { row, column } = parseCell(address);
      this.store(row, column, value === "" ? undefined : value);
    }
    return this;
  }

  /** The value at an address, "" when empty (an error value: its code). */
  value(address: string): Value {
    const { row, column } = parseCell(address);
    return this.read(row, column);
  }

  /** Every non-empty cell by address, to compare a whole sheet before and after. */
  snapshot(): Record<string, Value> {
    const cells: Record<string, Value> = {};
    for (const [key, value] of this.#cells) {
      const [row, column] = key.split(",").map(Number);
      cells[cellAddress(row!, column!)] = value instanceof CellError ? value.code : value;
    }
    return cells;
  }

  /** A cell's value as getValues gives it: "" when empty, an error value's code. */
  read(row: number, column: number): Value {
    const value = this.#cells.get(`${row},${column}`) ?? "";
    return value instanceof CellError ? value.code : value;
  }

  /** A cell's type as getValueTypes gives it. */
  valueType(row: number, column: number): ExcelScript.RangeValueType {
    const value = this.#cells.get(`${row},${column}`);
    if (value === undefined) return RangeValueType.empty;
    if (value instanceof CellError) return RangeValueType.error;
    if (typeof value === "number") return RangeValueType.double;
    return typeof value === "boolean" ? RangeValueType.boolean : RangeValueType.string;
  }

  store(row: number, column: number, value: Stored | undefined): void {
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

  /** What the cells display; the fake has no number formats, so numbers show as JavaScript's. */
  getTexts(): string[][] {
    return this.#read("getTexts", (row, column) => {
      const value = this.#sheet.read(row, column);
      return typeof value === "boolean" ? (value ? "TRUE" : "FALSE") : String(value);
    });
  }

  getValueTypes(): ExcelScript.RangeValueType[][] {
    return this.#read("getValueTypes", (row, column) => this.#sheet.valueType(row, column));
  }

  getCell(row: number, column: number): FakeRange {
    return new FakeRange(this.#sheet, this.#row + row, this.#column + column, 1, 1);
  }

  getWorksheet(): FakeWorksheet {
    return this.#sheet;
  }

  /** The raw values (for the tests: the scripts never read them): "" for an empty cell. */
  getValues(): Value[][] {
    return this.#read("getValues", (row, column) => this.#sheet.read(row, column));
  }

  /**
   * Every cell of the range gets the value; `null` is ignored, as Excel does. The write waits to
   * go to the workbook with the next exchange (the fake stores it at once).
   */
  setValue(value: unknown): void {
    if (value === null) return;
    const kept = entered(value);
    this.#sheet.connection.waiting += jsonBytes(value);
    for (let row = this.#row; row < this.#row + this.#rows; row++) {
      for (let column = this.#column; column < this.#column + this.#columns; column++) {
        this.#sheet.store(row, column, kept);
      }
    }
  }

  /**
   * A read of every cell of the range: an exchange with the workbook, which sends the writes
   * waiting, held to the 5 MB limit and logged on the sheet.
   */
  #read<T>(kind: ReadRecord["kind"], cell: (row: number, column: number) => T): T[][] {
    const address = `${cellAddress(this.#row, this.#column)}:${cellAddress(
      this.#row + this.#rows - 1,
      this.#column + this.#columns - 1,
    )}`;
    if (this.#rows * this.#columns > 5_000_000) {
      throw new Error(
        `FakeWorkbook: ${kind} of ${address}: a range is limited to five million cells`,
      );
    }
    const grid = Array.from({ length: this.#rows }, (_, r) =>
      Array.from({ length: this.#columns }, (_, c) => cell(this.#row + r, this.#column + c)),
    );
    const bytes = jsonBytes(grid);
    this.#sheet.connection.send(`${kind} of ${address}`, bytes);
    this.#sheet.readLog.push({ kind, address, rows: this.#rows, columns: this.#columns, bytes });
    return grid;
  }
}
