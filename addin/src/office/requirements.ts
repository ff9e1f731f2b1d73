/**
 * Feature detection against Office requirement sets, so one build serves Excel on the web,
 * Windows and Mac (each supports a different ExcelApi version) and runs without Office at all.
 */

/** What each Excel feature of the pane needs. */
export const EXCEL_API = {
  /** Excel.run, ranges, values, formulas, selection, used range. */
  base: "1.1",
  /** Workbook.getActiveCell. */
  activeCell: "1.7",
  /** Range.getUsedRangeOrNullObject. */
  usedRangeOrNull: "1.4",
  /** Workbook.settings (kept in the file). */
  settings: "1.4",
  /** Range.getSpillingToRangeOrNullObject (dynamic-array results). */
  spills: "1.12",
} as const;

function officeRequirements(): Office.RequirementSetSupport | undefined {
  if (typeof Office === "undefined") return undefined;
  try {
    return Office.context?.requirements;
  } catch {
    return undefined;
  }
}

/** True when the host supports ExcelApi `version`; false outside Office or Excel. */
export function supportsExcelApi(version: string): boolean {
  const requirements = officeRequirements();
  if (!requirements || typeof Excel === "undefined") return false;
  try {
    return requirements.isSetSupported("ExcelApi", version);
  } catch {
    return false;
  }
}

/** An Excel feature the running host cannot do; its message says why. */
export class ExcelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExcelUnavailableError";
  }
}

/** Throws a readable error when the host lacks the ExcelApi version a feature needs. */
export function requireExcelApi(version: string, feature: string): void {
  if (!supportsExcelApi(version)) {
    throw new ExcelUnavailableError(
      typeof Excel === "undefined"
        ? `${feature} needs Excel: open OfficeLLM from the Excel ribbon.`
        : `${feature} needs a newer Excel (ExcelApi ${version}); update Excel or use Excel on the web.`,
    );
  }
}
