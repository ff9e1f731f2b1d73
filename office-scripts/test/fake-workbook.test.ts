/**
 * The in-memory workbook keeps the Excel rules the scripts' tests rely on.
 */
import { describe, expect, it } from "vitest";
import { columnIndex, columnName, FakeWorkbook } from "./fake-workbook.ts";

describe("FakeWorkbook", () => {
  it("indexes rows and columns from zero, and reads an empty cell as an empty string", () => {
    const sheet = new FakeWorkbook({ Data: { B3: "x", C4: 7, D5: true } }).sheet("data");
    const range = sheet.getRange("B3:D5");
    expect([range.getRowIndex(), range.getColumnIndex(), range.getRowCount()]).toEqual([2, 1, 3]);
    expect(range.getValues()).toEqual([
      ["x", "", ""],
      ["", 7, ""],
      ["", "", true],
    ]);
    expect(range.getTexts()[2]).toEqual(["", "", "TRUE"]);
    expect(range.getCell(1, 1).getValues()).toEqual([[7]]);
    expect(sheet.getRange("D5:B3").getValues()).toEqual(range.getValues());
    expect(sheet.getRangeByIndexes(3, 2, 1, 1).getValues()).toEqual([[7]]);
    expect(range.getWorksheet()).toBe(sheet);
  });

  it("spans the used range over the cells holding values, and has none when empty", () => {
    const sheet = new FakeWorkbook({ S: { C2: "a", E9: "b" } }).sheet("S");
    const used = sheet.getUsedRange(true)!;
    expect([used.getRowIndex(), used.getColumnIndex(), used.getRowCount()]).toEqual([1, 2, 8]);
    sheet.getRange("C2").setValue("");
    sheet.getRange("E9").setValue("");
    expect(sheet.getUsedRange()).toBeUndefined();
  });

  it("enters values as if typed", () => {
    const sheet = new FakeWorkbook().sheet("Sheet1");
    const enter = (value: unknown) => {
      sheet.getRange("A1").setValue(value);
      return sheet.value("A1");
    };
    expect(enter("42")).toBe(42);
    expect(enter("-1.5")).toBe(-1.5);
    expect(enter("'=SUM(B1)")).toBe("=SUM(B1)");
    expect(enter("'0042")).toBe("0042");
    expect(enter(null)).toBe("0042");
    expect(enter(false)).toBe(false);
    expect(() => enter("=SUM(B1)")).toThrow(/as a formula/);
    expect(() => enter("- a point")).toThrow(/as a formula/);
    expect(() => enter("x".repeat(32_768))).toThrow(/do not fit in a cell/);
    expect(enter("x".repeat(32_767))).toHaveLength(32_767);
  });

  it("keeps ranges inside the sheet and refuses what is not an address", () => {
    const sheet = new FakeWorkbook().sheet("Sheet1");
    expect(() => sheet.getRange("XFD1048576").getCell(0, 1)).toThrow(/outside the sheet/);
    expect(() => sheet.getRangeByIndexes(-1, 0, 1, 1)).toThrow(/outside the sheet/);
    for (const address of ["A0", "1A", "XFE1", "A1:B2:C3", "A1048577"]) {
      expect(() => sheet.getRange(address)).toThrow(/not a (cell|range) address/);
    }
  });

  it("names columns as Excel does", () => {
    for (const [name, index] of [
      ["A", 0],
      ["Z", 25],
      ["AA", 26],
      ["AZ", 51],
      ["XFD", 16_383],
    ] as const) {
      expect(columnIndex(name)).toBe(index);
      expect(columnName(index)).toBe(name);
    }
  });
});
