import { describe, expect, it } from "vitest";
import {
  cellAddress,
  columnIndex,
  columnLetter,
  formatBlock,
  parseAddress,
  quoteSheet,
} from "./address.ts";

describe("A1 addresses", () => {
  it("turns column indexes into letters and back", () => {
    for (const [index, letters] of [
      [0, "A"],
      [25, "Z"],
      [26, "AA"],
      [701, "ZZ"],
      [702, "AAA"],
      [16_383, "XFD"],
    ] as const) {
      expect(columnLetter(index)).toBe(letters);
      expect(columnIndex(letters)).toBe(index);
    }
    expect(columnIndex("b")).toBe(1);
    expect(columnIndex("XFE")).toBeNull();
    expect(columnIndex("A1")).toBeNull();
    expect(() => columnLetter(-1)).toThrow(RangeError);
  });

  it("parses what Excel reports, quoted sheets and whole columns included", () => {
    expect(parseAddress("Sheet1!A2:C21")).toEqual({
      sheet: "Sheet1",
      firstRow: 2,
      lastRow: 21,
      firstColumn: 0,
      lastColumn: 2,
    });
    expect(parseAddress("'Q1 ''24'!$B$3")).toEqual({
      sheet: "Q1 '24",
      firstRow: 3,
      lastRow: 3,
      firstColumn: 1,
      lastColumn: 1,
    });
    expect(parseAddress("Data!C:C")).toMatchObject({ firstRow: 1, lastRow: 1_048_576 });
    expect(parseAddress("Data!3:5")).toMatchObject({ firstColumn: 0, lastColumn: 16_383 });
    expect(parseAddress("B2", "Other")).toMatchObject({ sheet: "Other", firstColumn: 1 });
    expect(parseAddress("Sheet1!A1:B2:C3")).toBeNull();
    expect(parseAddress("Sheet1!1A")).toBeNull();
  });

  it("formats blocks, quoting sheet names that need it", () => {
    expect(quoteSheet("Sheet1")).toBe("Sheet1");
    expect(quoteSheet("My sheet")).toBe("'My sheet'");
    expect(quoteSheet("O'Brien")).toBe("'O''Brien'");
    expect(
      formatBlock({ sheet: "My sheet", firstRow: 2, lastRow: 4, firstColumn: 3, lastColumn: 3 }),
    ).toBe("'My sheet'!D2:D4");
    expect(cellAddress("Sheet1", 2, 7)).toBe("Sheet1!C7");
    expect(parseAddress(formatBlock(parseAddress("'a b'!B2:C9")!))).toEqual(
      parseAddress("'a b'!B2:C9"),
    );
  });
});
