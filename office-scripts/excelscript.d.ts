/**
 * The part of Microsoft's ExcelScript API that OfficeLLM's Office Scripts use, declared with
 * Microsoft's names and signatures (office-scripts-docs-reference, excel.d.ts). Office Scripts
 * provide the whole namespace at run time; this file only lets `tsc` check the scripts and the
 * tests' in-memory workbook (test/fake-workbook.ts) against the same shapes.
 *
 * One deliberate difference: Microsoft declares `getUsedRange` as returning `Range`, while its
 * documentation says it returns `undefined` when no cell is used. It is declared here as
 * `Range | undefined`, so that the scripts must handle an empty sheet. (Where Excel returns the
 * top-left cell instead, the scripts find it empty and ask nothing: the same result.)
 */
declare namespace ExcelScript {
  interface Workbook {
    /**
     * Gets a worksheet object using its name or ID. If the worksheet does not exist, then this
     * method returns `undefined`.
     */
    getWorksheet(key: string): Worksheet | undefined;

    /**
     * Gets the currently selected single range from the workbook. If there are multiple ranges
     * selected, this method will throw an error. Fails when the script runs from Power Automate.
     */
    getSelectedRange(): Range;
  }

  interface Worksheet {
    /** The cell at a zero-based row and column. */
    getCell(row: number, column: number): Range;

    /** A block of cells from a zero-based start row and column, spanning rows and columns. */
    getRangeByIndexes(
      startRow: number,
      startColumn: number,
      rowCount: number,
      columnCount: number,
    ): Range;

    /** The smallest range holding every used cell (with `valuesOnly`, every cell with a value). */
    getUsedRange(valuesOnly?: boolean): Range | undefined;
  }

  interface Range {
    /** The column number of the first cell in the range. Zero-indexed. */
    getColumnIndex(): number;

    /** The row number of the first cell in the range. Zero-indexed. */
    getRowIndex(): number;

    /** The total number of rows in the range. */
    getRowCount(): number;

    /** The text values, as the cells display them (independent of the cell width). */
    getTexts(): string[][];

    /**
     * Specifies the type of data in each cell.
     */
    getValueTypes(): RangeValueType[][];

    /** The worksheet containing the range. */
    getWorksheet(): Worksheet;

    /**
     * Sets the raw value of every cell in the range. A string starting with "=", "+" or "-" is
     * read as a formula, as if typed.
     */
    // Microsoft's own signature; the scripts only ever pass strings.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    setValue(value: any): void;
  }

  /**
   * The type of a cell's value, as `Range.getValueTypes` gives it. Declared as in Microsoft's
   * excel.d.ts (no values); at run time each member is a string: `RangeValueType.empty` is
   * "Empty", `RangeValueType.string` is "String", and so on (test/fake-workbook.ts).
   */
  enum RangeValueType {
    unknown,

    empty,

    string,

    integer,

    double,

    boolean,

    error,

    richValue,
  }
}
