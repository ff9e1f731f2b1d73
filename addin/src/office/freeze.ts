import { EXCEL_API, supportsExcelApi } from "./requirements.ts";
import { asFrozen, runExcel } from "./run.ts";
import type { CellValue, FreezeResult } from "./types.ts";

/** A formula that calls one of our functions anywhere in it (`=LLM.PROMPT(…)`, `=UPPER(LLM.LIST(…))`). */
const LLM_CALL = /(?:^=|[^A-Za-z0-9_.])LLM\.[A-Za-z][A-Za-z0-9_]*\s*\(/i;

export function isLlmFormula(formula: unknown): boolean {
  return typeof formula === "string" && formula.startsWith("=") && LLM_CALL.test(formula);
}

/** Values a cell shows while its function is still running. */
const PENDING = new Set(["#BUSY!", "#GETTING_DATA", "#CALC!"]);

export interface FreezePlan {
  /** Cells (row, column within the range) to turn into values. */
  cells: { row: number; column: number }[];
  /** =LLM.* cells left as formulas: showing an error, or still calculating. */
  skipped: number;
}

/**
 * Which cells of a range to freeze: those whose formula calls LLM.* and whose value is a real
 * answer (an error or a pending value keeps its formula, so it can still recalculate).
 */
export function planFreeze(
  formulas: readonly (readonly unknown[])[],
  values: readonly (readonly unknown[])[],
  valueTypes?: readonly (readonly string[])[],
): FreezePlan {
  const plan: FreezePlan = { cells: [], skipped: 0 };
  formulas.forEach((row, r) =>
    row.forEach((formula, c) => {
      if (!isLlmFormula(formula)) return;
      const value = values[r]?.[c];
      const type = valueTypes?.[r]?.[c];
      if (type === "Error" || (typeof value === "string" && PENDING.has(value))) plan.skipped++;
      else plan.cells.push({ row: r, column: c });
    }),
  );
  return plan;
}

/**
 * Replaces the =LLM.* formulas in the selection (or the active sheet's used range) by their
 * current values, so they never recalculate or bill again. Where the host has ExcelApi 1.12, a
 * spilled result (LLM.LIST, LLM.TABLE…) is frozen whole; on older hosts only its anchor cell.
 */
export function freezeLlmFormulas(scope: "selection" | "sheet"): Promise<FreezeResult> {
  return runExcel("Freezing formulas", async (context) => {
    const range =
      scope === "selection"
        ? context.workbook.getSelectedRange()
        : context.workbook.worksheets.getActiveWorksheet().getUsedRange();
    range.load("address,formulas,values,valueTypes");
    await context.sync();

    const plan = planFreeze(range.formulas, range.values, range.valueTypes);
    const spills = supportsExcelApi(EXCEL_API.spills);
    const targets = plan.cells.map(({ row, column }) => {
      const cell = range.getCell(row, column);
      const spill = spills ? cell.getSpillingToRangeOrNullObject() : null;
      spill?.load("values");
      return { cell, spill, value: range.values[row]![column] as CellValue };
    });
    if (spills && targets.length > 0) await context.sync();

    for (const { cell, spill, value } of targets) {
      // The anchor first (that ends the spill), then the cells it had spilled into.
      cell.values = [[asFrozen(value)]];
      if (spill && !spill.isNullObject)
        spill.values = spill.values.map((row) => row.map((v) => asFrozen(v as CellValue)));
    }
    await context.sync();
    return { address: range.address, frozen: targets.length, skipped: plan.skipped };
  });
}
