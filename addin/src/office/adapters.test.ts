/**
 * The Office.js adapters against the in-memory Excel host the browser tests use, here in Node:
 * each requirement-set path (ExcelApi 1.1, 1.7, 1.12) and the outside-Excel error.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  installFakeExcel,
  type FakeExcelHandle,
  type FakeExcelSeed,
} from "../../e2e/fake-excel.ts";
import { officeExcel } from "./index.ts";
import { ExcelUnavailableError } from "./requirements.ts";

const g = globalThis as Record<string, unknown>;

function host(seed: FakeExcelSeed): FakeExcelHandle {
  g.window = globalThis;
  installFakeExcel(seed);
  return g.__fakeExcel as FakeExcelHandle;
}

afterEach(() => {
  for (const name of ["window", "Office", "Excel", "__fakeExcel"]) delete g[name];
});

describe("Excel adapters", () => {
  it("need Excel, and say so readably outside it", async () => {
    await expect(officeExcel.readSelection()).rejects.toThrow(ExcelUnavailableError);
    await expect(officeExcel.readSelection()).rejects.toThrow(/needs Excel/);
  });

  it("read the selection and whole columns between two rows", async () => {
    host({ selection: "Sheet1!B2:C4", cells: { B2: "x", C3: 4, E2: true, E4: "last" } });
    const selection = await officeExcel.readSelection();
    expect(selection.address).toBe("Sheet1!B2:C4");
    expect(selection.block).toMatchObject({ firstRow: 2, lastRow: 4, firstColumn: 1 });
    const columns = await officeExcel.readColumns("Sheet1", [1, 4], 2, 4);
    expect(columns.get(1)).toEqual(["x", "", ""]);
    expect(columns.get(4)).toEqual([true, "", "last"]);
  });

  it("cut a whole-column selection to the cells in use", async () => {
    host({ selection: "Sheet1!A:A", cells: { A3: "a", A9: "b" } });
    expect((await officeExcel.readSelection()).address).toBe("Sheet1!A3:A9");
  });

  it("write cells in runs, keeping text as text and plain numbers as numbers", async () => {
    const excel = host({});
    await officeExcel.writeCells([
      { sheet: "Sheet1", column: 2, row: 5, value: "five" },
      { sheet: "Sheet1", column: 2, row: 3, value: "=not a formula" },
      { sheet: "Sheet1", column: 2, row: 4, value: 4 },
      { sheet: "Sheet1", column: 2, row: 6, value: "- a list line" },
      { sheet: "Sheet1", column: 2, row: 7, value: "+1 555 0100" },
      { sheet: "Sheet1", column: 2, row: 8, value: "3/4" },
      { sheet: "Sheet1", column: 2, row: 9, value: "TRUE" },
      { sheet: "Sheet1", column: 2, row: 10, value: "007" },
      { sheet: "Sheet1", column: 2, row: 11, value: "42" },
      { sheet: "Data", column: 0, row: 1, value: "elsewhere" },
    ]);
    expect(excel.values("C3:C11")).toEqual([
      ["=not a formula"],
      [4],
      ["five"],
      ["- a list line"],
      ["+1 555 0100"],
      ["3/4"],
      ["TRUE"],
      ["007"],
      [42],
    ]);
    expect(excel.get("Data!A1")).toBe("elsewhere");
    expect(excel.writes).toBe(2);
  });

  it("write to the active cell with ExcelApi 1.7, and to the selection's first cell before it", async () => {
    let excel = host({ selection: "Sheet1!B2:D4", active: "Sheet1!C3" });
    expect(await officeExcel.writeToActiveCell("here")).toBe("Sheet1!C3");
    expect(excel.get("C3")).toBe("here");

    excel = host({ excelApi: "1.6", selection: "Sheet1!B2:D4", active: "Sheet1!C3" });
    expect(await officeExcel.writeToActiveCell("first")).toBe("Sheet1!B2");
    expect(excel.get("B2")).toBe("first");
  });

  it("write rows down from the active cell, asking first when cells below hold data", async () => {
    const excel = host({ selection: "Sheet1!A1", cells: { A3: "keep me" } });
    const refused = await officeExcel.writeRowsFromActiveCell(["one", "two", "three"]);
    expect(refused).toEqual({ written: false, address: "Sheet1!A1:A3", occupied: 1 });
    expect(excel.get("A1")).toBe("");
    const written = await officeExcel.writeRowsFromActiveCell(["one", "two", "three"], {
      overwrite: true,
    });
    expect(written).toEqual({ written: true, address: "Sheet1!A1:A3" });
    expect(excel.values("A1:A3")).toEqual([["one"], ["two"], ["three"]]);
  });

  const formulas: FakeExcelSeed["cells"] = {
    A1: { formula: '=LLM.PROMPT("hi")', value: "hello" },
    A2: { formula: "=1+1", value: 2 },
    A3: { formula: "=LLM.PROMPT(B9)", value: "#BUSY!" },
    B1: { formula: '=LLM.LIST("abc")', value: "a", spill: [["a"], ["b"], ["c"]] },
  };

  it("freeze =LLM formulas, spills whole with ExcelApi 1.12", async () => {
    const excel = host({ selection: "Sheet1!A1:B3", cells: formulas });
    const result = await officeExcel.freezeLlmFormulas("selection");
    expect(result).toEqual({ address: "Sheet1!A1:B3", frozen: 2, skipped: 1 });
    expect(excel.formula("A1")).toBe("hello");
    expect(excel.formula("A2")).toBe("=1+1");
    expect(excel.formula("A3")).toBe("=LLM.PROMPT(B9)");
    expect(excel.values("B1:B3")).toEqual([["a"], ["b"], ["c"]]);
    expect(excel.formula("B3")).toBe("c");
  });

  it("freeze values as they are: text stays text, numbers, booleans and errors stay", async () => {
    const spill = [["42"], [3], [true], ["2024-01-05"], ["#N/A"], ["007"]];
    const excel = host({
      selection: "Sheet1!D1",
      cells: { D1: { formula: '=LLM.LIST("mixed")', value: "42", spill } },
    });
    await officeExcel.freezeLlmFormulas("selection");
    expect(excel.values("D1:D6")).toEqual(spill);
    expect(excel.formula("D1")).toBe("42");
  });

  it("freeze only the anchor of a spill on hosts before ExcelApi 1.12", async () => {
    const excel = host({ excelApi: "1.11", selection: "Sheet1!A1", cells: formulas });
    const result = await officeExcel.freezeLlmFormulas("sheet");
    expect(result).toMatchObject({ address: "Sheet1!A1:B3", frozen: 2 });
    expect(excel.values("B1:B3")).toEqual([["a"], [""], [""]]);
  });
});
