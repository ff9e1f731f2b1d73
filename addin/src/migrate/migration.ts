import type { ExcelBridge } from "../office/index.ts";
import {
  SCAN_CELLS_PER_REQUEST,
  type ChangeOutcome,
  type ScanProgress,
} from "../office/formulas.ts";
import type { CellValue } from "../office/types.ts";
import {
  findMigrations,
  promptInputBlocks,
  valueKey,
  type Finding,
  type PromptInputs,
} from "./plan.ts";
import { mayCallSource, type RewriteOptions } from "./rewrite.ts";

/**
 * The Migrate action over a workbook: scan, apply (all, a sheet, or one formula) in checked
 * batches, and restore the last migration. The original formulas are kept in the workbook's own
 * settings (saved with the file, so Restore works after closing the pane or reopening the
 * workbook, on any computer, and the formulas never leave the workbook), under MIGRATION_KEY.
 */

export const MIGRATION_KEY = "officellm.migration";

type Bridge = Pick<
  ExcelBridge,
  | "readColumns"
  | "readWorkbookFormulas"
  | "replaceFormulas"
  | "saveWorkbookText"
  | "loadWorkbookText"
  | "removeWorkbookText"
>;

export interface AppliedChange {
  sheet: string;
  row: number;
  column: number;
  before: string;
  after: string;
}

/** The formulas changed since the last Restore, with what they were. */
export interface MigrationRecord {
  version: 1;
  /** When the last change was applied (ISO time). */
  at: string;
  changes: AppliedChange[];
}

export function scanWorkbook(
  bridge: Bridge,
  options: RewriteOptions & { onProgress?: (progress: ScanProgress) => void } = {},
): Promise<Finding[]> {
  const { onProgress, ...rewrite } = options;
  return bridge
    .readWorkbookFormulas({ keep: mayCallSource, ...(onProgress ? { onProgress } : {}) })
    .then((cells) => findMigrations(cells, rewrite));
}

/**
 * The values of the cells the findings' converted calls read (for estimatePrompts), in requests
 * of at most SCAN_CELLS_PER_REQUEST cells. Cells that cannot be read (a sheet named in a formula
 * but not in the workbook) are left out: their calls count by text.
 */
export async function readPromptInputs(
  bridge: Bridge,
  findings: readonly Pick<Finding, "sheet" | "after">[],
): Promise<PromptInputs> {
  const inputs = new Map<string, CellValue>();
  for (const block of promptInputBlocks(findings)) {
    const columns = Array.from(
      { length: block.lastColumn - block.firstColumn + 1 },
      (_, index) => block.firstColumn + index,
    );
    const rowsPerRequest = Math.max(1, Math.floor(SCAN_CELLS_PER_REQUEST / columns.length));
    for (let first = block.firstRow; first <= block.lastRow; first += rowsPerRequest) {
      const last = Math.min(block.lastRow, first + rowsPerRequest - 1);
      let read: Map<number, CellValue[]>;
      try {
        read = await bridge.readColumns(block.sheet, columns, first, last);
      } catch {
        break;
      }
      for (const [column, values] of read)
        values.forEach((value, index) =>
          inputs.set(valueKey(block.sheet, first + index, column), value),
        );
    }
  }
  return inputs;
}

export async function readMigrationRecord(bridge: Bridge): Promise<MigrationRecord | null> {
  const text = await bridge.loadWorkbookText(MIGRATION_KEY);
  if (text === null) return null;
  const record = JSON.parse(text) as MigrationRecord;
  return record.version === 1 && Array.isArray(record.changes) ? record : null;
}

const cellKey = (change: { sheet: string; row: number; column: number }) =>
  `${change.sheet}\u0000${change.row}\u0000${change.column}`;

/** The record with `changes` added; a cell already in it keeps its first original. */
function merged(record: MigrationRecord | null, changes: AppliedChange[]): MigrationRecord {
  const byCell = new Map((record?.changes ?? []).map((change) => [cellKey(change), change]));
  for (const change of changes) {
    const known = byCell.get(cellKey(change));
    byCell.set(cellKey(change), known ? { ...change, before: known.before } : change);
  }
  return { version: 1, at: new Date().toISOString(), changes: [...byCell.values()] };
}

export interface ApplyResult {
  written: Finding[];
  /** Cells whose formula changed after the scan: left alone. */
  changed: { finding: Finding; found: string }[];
  failed: { finding: Finding; message: string }[];
}

/**
 * Writes the findings' proposed formulas (the writable ones) where the cells still hold what the
 * scan read. The originals are saved in the workbook before anything is written, then the record
 * is cut down to what was written.
 */
export async function applyFindings(
  bridge: Bridge,
  findings: readonly Finding[],
  options: { onProgress?: (done: number) => void } = {},
): Promise<ApplyResult> {
  const planned = findings.filter(
    (finding): finding is Finding & { after: string } =>
      finding.writable && finding.after !== undefined,
  );
  const changes = planned.map((finding) => ({
    sheet: finding.sheet,
    row: finding.row,
    column: finding.column,
    before: finding.before,
    after: finding.after,
  }));
  const previous = await readMigrationRecord(bridge);
  await bridge.saveWorkbookText(MIGRATION_KEY, JSON.stringify(merged(previous, changes)));
  const outcomes = await bridge.replaceFormulas(
    planned.map((finding) => ({
      sheet: finding.sheet,
      row: finding.row,
      column: finding.column,
      expected: finding.before,
      formula: finding.after,
    })),
    options.onProgress ? { onProgress: options.onProgress } : {},
  );
  // The record keeps what each cell holds now, which Restore must find there.
  const kept = changes.flatMap((change, index) => {
    const outcome = outcomes[index]!;
    return outcome.status === "written" ? [{ ...change, after: outcome.formula }] : [];
  });
  await bridge.saveWorkbookText(MIGRATION_KEY, JSON.stringify(merged(previous, kept)));
  return sorted(planned, outcomes);
}

function sorted<T>(items: readonly T[], outcomes: readonly ChangeOutcome[]) {
  const result = {
    written: [] as T[],
    changed: [] as { finding: T; found: string }[],
    failed: [] as { finding: T; message: string }[],
  };
  items.forEach((finding, index) => {
    const outcome = outcomes[index]!;
    if (outcome.status === "written") result.written.push(finding);
    else if (outcome.status === "changed") result.changed.push({ finding, found: outcome.found });
    else result.failed.push({ finding, message: outcome.message });
  });
  return result;
}

export interface RestoreResult {
  restored: AppliedChange[];
  /** Edited after the migration: left as they are now. */
  changed: { change: AppliedChange; found: string }[];
  failed: { change: AppliedChange; message: string }[];
}

/**
 * Puts back the original formulas of the last migration where the cells still hold what it
 * wrote, then forgets the record (what could not be restored is reported, not kept).
 */
export async function restoreLastMigration(
  bridge: Bridge,
  options: { onProgress?: (done: number) => void } = {},
): Promise<RestoreResult | null> {
  const record = await readMigrationRecord(bridge);
  if (!record) return null;
  const outcomes = await bridge.replaceFormulas(
    record.changes.map((change) => ({
      sheet: change.sheet,
      row: change.row,
      column: change.column,
      expected: change.after,
      formula: change.before,
    })),
    options.onProgress ? { onProgress: options.onProgress } : {},
  );
  const { written, changed, failed } = sorted(record.changes, outcomes);
  await bridge.removeWorkbookText(MIGRATION_KEY);
  return {
    restored: written,
    changed: changed.map(({ finding, found }) => ({ change: finding, found })),
    failed: failed.map(({ finding, message }) => ({ change: finding, message })),
  };
}
