import { columnLetter } from "./address.ts";
import { EXCEL_API, requireExcelApi } from "./requirements.ts";
import { runExcel } from "./run.ts";
import type { CellValue } from "./types.ts";

/**
 * Reading and replacing formulas across a workbook (the Migrate screen), and keeping a record
 * in the workbook's own settings. Rows are 1-based, columns 0-based, as elsewhere in the pane.
 */

export interface FormulaCell {
  sheet: string;
  row: number;
  column: number;
  formula: string;
  /** What the cell shows (an error as its text, such as "#NAME?"). */
  value: CellValue;
}

export interface ScanProgress {
  sheet: string;
  sheetIndex: number;
  sheets: number;
  rowsRead: number;
  rows: number;
}

/**
 * Cells a scan reads per request at first. Excel on the web refuses a request or an answer over
 * 5 MB; 5,000 cells of formulas and values stay well under it for ordinary formulas, and a
 * chunk that is still refused is halved until it passes.
 */
export const SCAN_CELLS_PER_REQUEST = 5_000;

/** Formulas replaced per request: each batch is read (to check nothing changed) then written. */
export const WRITE_CELLS_PER_REQUEST = 200;

function isPayloadTooLarge(error: unknown): boolean {
  const text = `${(error as { code?: unknown })?.code ?? ""} ${(error as Error)?.message ?? ""}`;
  return /PayloadSizeLimitExceeded|payload.*(large|limit)/i.test(text);
}

function rangeAddress(row: number, column: number, rows: number, columns: number): string {
  return `${columnLetter(column)}${row}:${columnLetter(column + columns - 1)}${row + rows - 1}`;
}

/**
 * Every formula cell of every worksheet whose formula passes `keep`, sheet by sheet, each used
 * range read in chunks of rows.
 */
export function readWorkbookFormulas(options: {
  keep: (formula: string) => boolean;
  onProgress?: (progress: ScanProgress) => void;
  cellsPerRequest?: number;
}): Promise<FormulaCell[]> {
  requireExcelApi(EXCEL_API.usedRangeOrNull, "Migrate");
  return runExcel("Reading the workbook's formulas", async (context) => {
    const sheets = context.workbook.worksheets;
    sheets.load("items/name");
    await context.sync();
    const used = sheets.items.map((sheet) => {
      const range = sheet.getUsedRangeOrNullObject(true);
      range.load("rowIndex,columnIndex,rowCount,columnCount");
      return { sheet, range };
    });
    await context.sync();

    const found: FormulaCell[] = [];
    let cellsPerRequest = options.cellsPerRequest ?? SCAN_CELLS_PER_REQUEST;
    for (const [sheetIndex, { sheet, range }] of used.entries()) {
      if (range.isNullObject) continue;
      const firstRow = range.rowIndex + 1;
      const { rowCount, columnCount, columnIndex } = range;
      let offset = 0;
      while (offset < rowCount) {
        const rows = Math.min(
          rowCount - offset,
          Math.max(1, Math.floor(cellsPerRequest / columnCount)),
        );
        const chunk = sheet.getRange(
          rangeAddress(firstRow + offset, columnIndex, rows, columnCount),
        );
        chunk.load("formulas,values");
        try {
          await context.sync();
        } catch (error) {
          if (!isPayloadTooLarge(error) || rows === 1) throw error;
          cellsPerRequest = Math.max(columnCount, Math.floor((rows * columnCount) / 2));
          continue;
        }
        chunk.formulas.forEach((cells, r) =>
          cells.forEach((formula, c) => {
            if (typeof formula !== "string" || !options.keep(formula)) return;
            found.push({
              sheet: sheet.name,
              row: firstRow + offset + r,
              column: columnIndex + c,
              formula,
              value: chunk.values[r]![c] as CellValue,
            });
          }),
        );
        offset += rows;
        options.onProgress?.({
          sheet: sheet.name,
          sheetIndex,
          sheets: used.length,
          rowsRead: offset,
          rows: rowCount,
        });
      }
    }
    return found;
  });
}

export interface FormulaChange {
  sheet: string;
  row: number;
  column: number;
  /** The formula the cell must still hold; a cell edited since is left alone. */
  expected: string;
  formula: string;
}

export type ChangeOutcome =
  /** `formula`: what the cell holds once written, in Excel's own form (it may differ in case). */
  | { status: "written"; formula: string }
  | { status: "changed"; found: string }
  | { status: "failed"; message: string };

/**
 * Replaces formulas in batches: each batch's cells are read first, and only those still holding
 * the expected formula are written, then read again for the form Excel keeps them in. A batch Excel refuses (a cell inside a legacy array formula,
 * a protected sheet) is written again cell by cell, so one refusal fails only its own cell.
 */
export function replaceFormulas(
  changes: readonly FormulaChange[],
  options: { cellsPerRequest?: number; onProgress?: (done: number) => void } = {},
): Promise<ChangeOutcome[]> {
  return runExcel("Writing formulas", async (context) => {
    const outcomes: ChangeOutcome[] = [];
    const size = options.cellsPerRequest ?? WRITE_CELLS_PER_REQUEST;
    const cellOf = (change: FormulaChange) =>
      context.workbook.worksheets.getItem(change.sheet).getCell(change.row - 1, change.column);
    for (let start = 0; start < changes.length; start += size) {
      const batch = changes.slice(start, start + size);
      const cells = batch.map((change) => cellOf(change).load("formulas"));
      await context.sync();
      const current = cells.map((cell) => String(cell.formulas[0]?.[0] ?? ""));
      const batchOutcomes: ChangeOutcome[] = current.map((found, index) =>
        found === batch[index]!.expected
          ? { status: "written", formula: batch[index]!.formula }
          : { status: "changed", found },
      );
      const writable = batch.filter((_, index) => batchOutcomes[index]!.status === "written");
      writable.forEach((change) => (cellOf(change).formulas = [[change.formula]]));
      try {
        await context.sync();
      } catch {
        for (const [index, change] of batch.entries()) {
          if (batchOutcomes[index]!.status !== "written") continue;
          cellOf(change).formulas = [[change.formula]];
          try {
            await context.sync();
          } catch (error) {
            batchOutcomes[index] = {
              status: "failed",
              message: error instanceof Error ? error.message : String(error),
            };
          }
        }
      }
      // Excel keeps a formula in its own form (references in capitals, …): what it holds now is
      // what a later Restore must find there.
      const written = batchOutcomes.flatMap((outcome, index) =>
        outcome.status === "written"
          ? [{ outcome, cell: cellOf(batch[index]!).load("formulas") }]
          : [],
      );
      if (written.length > 0) await context.sync();
      for (const { outcome, cell } of written)
        outcome.formula = String(cell.formulas[0]?.[0] ?? outcome.formula);
      outcomes.push(...batchOutcomes);
      options.onProgress?.(outcomes.length);
    }
    return outcomes;
  });
}

/**
 * The workbook's settings (saved in the file with the workbook) as a small key-value store for
 * text. A long text is kept in parts of at most SETTING_PART_CHARS characters, each sent and
 * read in a request of its own. The parts of each save are a generation of their own
 * (`key.<generation>.<n>`), and the head (`key`: the generation and how many parts) is switched
 * to them only once they are all written, so a save cut short leaves the text saved before whole.
 */
export const SETTING_PART_CHARS = 500_000;

interface TextHead {
  generation: string;
  parts: number;
}

/**
 * The settings a head names, in order. A number is a head saved before generations, whose parts
 * are `key.<n>`.
 */
function partKeys(key: string, head: unknown): string[] {
  const { generation, parts } =
    typeof head === "number" ? { generation: null, parts: head } : (head as TextHead);
  const prefix = generation === null ? key : `${key}.${generation}`;
  return Array.from({ length: parts }, (_, part) => `${prefix}.${part}`);
}

/**
 * Deletes every setting under `key.` but `keep`: the parts of the generation replaced, and any a
 * save cut short left behind.
 */
async function deleteParts(
  context: Excel.RequestContext,
  key: string,
  keep: readonly string[],
): Promise<void> {
  const settings = context.workbook.settings;
  settings.load("items/key");
  await context.sync();
  for (const item of settings.items)
    if (item.key.startsWith(`${key}.`) && !keep.includes(item.key)) item.delete();
  await context.sync();
}

export function saveWorkbookText(key: string, text: string): Promise<void> {
  requireExcelApi(EXCEL_API.settings, "Keeping the originals in the workbook");
  return runExcel("Saving to the workbook", async (context) => {
    const settings = context.workbook.settings;
    const head: TextHead = {
      generation: crypto.randomUUID(),
      parts: Math.max(1, Math.ceil(text.length / SETTING_PART_CHARS)),
    };
    const keys = partKeys(key, head);
    // One part a request: Excel refuses a request over its payload limit (5 MB on the web).
    for (const [part, partKey] of keys.entries()) {
      settings.add(partKey, text.slice(part * SETTING_PART_CHARS, (part + 1) * SETTING_PART_CHARS));
      await context.sync();
    }
    settings.add(key, head);
    await context.sync();
    await deleteParts(context, key, keys);
  });
}

export function loadWorkbookText(key: string): Promise<string | null> {
  requireExcelApi(EXCEL_API.settings, "Reading the originals from the workbook");
  return runExcel("Reading from the workbook", async (context) => {
    const settings = context.workbook.settings;
    const head = settings.getItemOrNullObject(key);
    head.load("value");
    await context.sync();
    if (head.isNullObject) return null;
    // One part a request, as they were saved.
    let text = "";
    for (const partKey of partKeys(key, head.value)) {
      const item = settings.getItem(partKey).load("value");
      await context.sync();
      text += String(item.value);
    }
    return text;
  });
}

export function removeWorkbookText(key: string): Promise<void> {
  requireExcelApi(EXCEL_API.settings, "Clearing the originals from the workbook");
  return runExcel("Clearing from the workbook", async (context) => {
    const head = context.workbook.settings.getItemOrNullObject(key);
    head.load("value");
    await context.sync();
    if (head.isNullObject) return;
    // The head first: a clear cut short leaves parts no head names, never a head without parts.
    head.delete();
    await context.sync();
    await deleteParts(context, key, []);
  });
}
