/**
 * The in-memory workbook keeps the Excel rules the scripts' tests rely on.
 */
import { describe, expect, it } from "vitest";
import { cellError, FakeWorkbook, MAX_EXCHANGE_BYTES } from "./fake-workbook.ts";

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

  it("gives each cell's value type as Excel does: only a cell holding nothing is Empty", () => {
    const sheet = new FakeWorkbook({
      S: { A1: "text", A2: " ", A3: 0, A4: -1.5, A5: true, A6: cellError("#DIV/0!") },
    }).sheet("S");
    const range = sheet.getRange("A1:A7");
    expect(range.getValueTypes()).toEqual([
      ["String"],
      ["String"],
      ["Double"],
      ["Double"],
      ["Boolean"],
      ["Error"],
      ["Empty"],
    ]);
    expect(range.getValues()[5]).toEqual(["#DIV/0!"]);
    expect(range.getTexts()[5]).toEqual(["#DIV/0!"]);
    sheet.getRange("A1").setValue("");
    sheet.getRange("A3").setValue("'");
    expect(sheet.getRange("A1:A3").getValueTypes()).toEqual([["Empty"], ["String"], ["String"]]);
  });

  it("holds every read to Office Scripts' 5 MB, measured as UTF-8 JSON, and logs it", () => {
    const sheet = new FakeWorkbook().sheet("Sheet1");
    // Each cell's JSON is its text and 6 bytes of `["…"],`; the whole answer is one array more.
    const text = "€".repeat(32_767);
    const cells = Math.floor(MAX_EXCHANGE_BYTES / (Buffer.byteLength(text) + 6));
    for (let row = 1; row <= cells + 1; row++) sheet.put({ [`A${row}`]: text });
    const fits = sheet.getRangeByIndexes(0, 0, cells, 1);
    expect(fits.getTexts()).toHaveLength(cells);
    const over = Buffer.byteLength(JSON.stringify(Array.from({ length: cells + 1 }, () => [text])));
    expect(over).toBeGreaterThan(MAX_EXCHANGE_BYTES);
    expect(() => sheet.getRangeByIndexes(0, 0, cells + 1, 1).getValues()).toThrow(
      `getValues of A1:A51 exchanges ${over} bytes with the workbook; Office Scripts allow 5 MB`,
    );
    expect(() => sheet.getRangeByIndexes(0, 0, cells + 1, 1).getTexts()).toThrow(/5 MB/);
    expect(sheet.getRangeByIndexes(0, 0, cells + 1, 1).getValueTypes()).toHaveLength(cells + 1);
    expect(sheet.readLog.map(({ kind, address, rows }) => [kind, address, rows])).toEqual([
      ["getTexts", "A1:A50", 50],
      ["getValueTypes", "A1:A51", 51],
    ]);
    expect(sheet.readLog[0]!.bytes).toBe(Buffer.byteLength(JSON.stringify(fits.getValues())));
  });

  it("sends writes with the next read, or at the end, in an exchange of 5 MB at most", () => {
    const book = new FakeWorkbook();
    const sheet = book.sheet("Sheet1");
    const value = `'${"€".repeat(32_767)}`;
    const size = Buffer.byteLength(JSON.stringify(value));
    const read = Buffer.byteLength(JSON.stringify([["String"]]));
    // As many such writes as fit, with a one-cell read, in one exchange: 50, 4.9 MB.
    const most = Math.floor((MAX_EXCHANGE_BYTES - read) / size);
    for (let row = 0; row < most; row++) sheet.getCell(row, 0).setValue(value);
    expect(book.exchanges).toEqual([]);
    expect(sheet.getCell(0, 0).getValueTypes()).toEqual([["String"]]);
    expect(book.exchanges).toEqual([
      { what: "getValueTypes of A1:A1", written: most * size, read },
    ]);
    // The end of a script sends what is still waiting; with nothing waiting, there is no exchange.
    book.flush();
    sheet.getCell(0, 1).setValue("42");
    book.flush();
    book.flush();
    expect(book.exchanges.slice(1)).toEqual([{ what: "end of the script", written: 4, read: 0 }]);

    // One write more, and the read's exchange is over 5 MB, as is the end's without a read.
    const over = new FakeWorkbook();
    for (let row = 0; row <= most; row++) over.sheet("Sheet1").getCell(row, 0).setValue(value);
    expect(() => over.sheet("Sheet1").getCell(0, 0).getValueTypes()).toThrow(
      `getValueTypes of A1:A1 exchanges ${(most + 1) * size + read} bytes with the workbook ` +
        `(${(most + 1) * size} of them writes made before it); Office Scripts allow 5 MB`,
    );
    expect(() => over.flush()).toThrow(
      `end of the script exchanges ${(most + 1) * size} bytes with the workbook`,
    );
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
    // A number keeps no leading zero, and 15 significant digits: those past them become zeros.
    expect(enter("02134")).toBe(2134);
    expect(enter("12345678901234567890")).toBe(12_345_678_901_234_500_000);
    expect(enter("0.00123456789012345678")).toBe(0.00123456789012345);
    expect(enter("1.2345678901234567e5")).toBe(123_456.789012345);
    expect(enter("123456789012345")).toBe(123_456_789_012_345);
    expect(enter("'=SUM(B1)")).toBe("=SUM(B1)");
    expect(enter("'0042")).toBe("0042");
    expect(enter(null)).toBe("0042");
    expect(enter(false)).toBe(false);
    expect(() => enter("=SUM(B1)")).toThrow(/as a formula/);
    expect(() => enter("- a point")).toThrow(/as a formula/);
    expect(() => enter("x".repeat(32_768))).toThrow(/do not fit in a cell/);
    expect(enter("x".repeat(32_767))).toHaveLength(32_767);
  });

  it("converts, as Excel does, text entered without an apostrophe, or refuses it", () => {
    const sheet = new FakeWorkbook().sheet("Sheet1");
    const enter = (value: string) => {
      sheet.getRange("A1").setValue(value);
      return sheet.value("A1");
    };
    // Converted: booleans, and percentages (to their number; the fake has no number formats).
    expect(enter("TRUE")).toBe(true);
    expect(enter("false")).toBe(false);
    expect(enter("50%")).toBe(0.5);
    expect(enter("12.5 %")).toBe(0.125);
    // Refused: what becomes a number whose meaning depends on the locale.
    for (const [text, as] of [
      ["3/4", "a date"],
      ["1-2", "a date"],
      ["2024-01-05", "a date"],
      ["4-Jan", "a date"],
      ["March 2024", "a date"],
      ["10:30", "a time"],
      ["9:05 pm", "a time"],
      ["7 AM", "a time"],
      ["$5", "a currency amount"],
      ["€1,200.50", "a currency amount"],
      ["1,000", "a number"],
      ["1 1/2", "a fraction"],
      ["(5)", "a negative number"],
    ]) {
      expect(() => enter(text!)).toThrow(`Excel would enter "${text}" as ${as}`);
    }
    // After an apostrophe, each is kept as the text it is.
    for (const text of ["TRUE", "50%", "3/4", "1-2", "10:30", "$5", "1,000", "42", "=A1"]) {
      expect(enter(`'${text}`)).toBe(text);
    }
    // Text that only looks a little like these stays text.
    for (const text of ["3/4 of them", "10:30 tomorrow", "TRUE story", "Mayday 4", "50% off"]) {
      expect(enter(text)).toBe(text);
    }
  });

  it("keeps ranges inside the sheet and refuses what is not an address", () => {
    const sheet = new FakeWorkbook().sheet("Sheet1");
    expect(() => sheet.getRange("XFD1048576").getCell(0, 1)).toThrow(/outside the sheet/);
    expect(() => sheet.getRangeByIndexes(-1, 0, 1, 1)).toThrow(/outside the sheet/);
    for (const address of ["A0", "1A", "XFE1", "A1:B2:C3", "A1048577"]) {
      expect(() => sheet.getRange(address)).toThrow(/not a (cell|range) address/);
    }
  });
});
