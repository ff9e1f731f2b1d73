/**
 * The Calendar tab's "From rows", without React: picking the selected table (its header names
 * pre-fill the column mapping), then previewing or creating its rows as events in one request
 * and writing each row's link or error in the column right of the table. The backend derives
 * each event's id from the event, so the same rows run again create nothing new ("Already
 * exists"). A row that cannot be read, or that the backend refuses, fails on its own; the others
 * still go. Results overwrite only what this tab wrote before, unless the user allows more.
 */
import { formatBlock, MAX_COLUMN, type CellBlock } from "../office/address.ts";
import type { CellValue, ExcelBridge } from "../office/index.ts";
import type { CreateResult } from "./calendar-api.ts";
import {
  CALENDAR_FIELDS,
  guessMapping,
  isResultText,
  resultCellText,
  rowsToEvents,
  type CalendarField,
  type ColumnMapping,
  type EventRow,
  type PreparedRow,
} from "./calendar-rows.ts";

/** Columns of a selected table that are read (a wider selection is cut). */
const MAX_TABLE_COLUMNS = 26;
const RESULT_HEADER = "Calendar event";

export interface RowsTable {
  block: CellBlock;
  address: string;
  columns: number[];
  headers: { column: number; name: string }[];
  /** Where results go: the column right of the selection. */
  output: number;
}

type Answered = Extract<CreateResult, { ok: true }>;

/** A row's result: the backend's answer for its event, or why the row failed. */
export type RowOutcome =
  | ({ row: number } & Pick<Answered, "ok" | "status" | "event" | "htmlLink">)
  | { row: number; ok: false; message: string };

export interface RowsSnapshot {
  busy: "reading" | "preview" | "create" | null;
  table: RowsTable | null;
  mapping: ColumnMapping;
  /** Required fields without a column. */
  missing: typeof CALENDAR_FIELDS;
  /** A table is chosen and every required field has a column. */
  ready: boolean;
  /** Cells of the result column next to the rows holding something this tab did not write. */
  occupied: number;
  overwrite: boolean;
  outcomes: { rows: RowOutcome[]; dryRun: boolean } | null;
  /** Where the last run wrote its results, as a sentence. */
  written: string | null;
  error: unknown;
}

/** The runner's edges: the workbook, and the backend's POST /api/v1/calendar/events. */
export interface RowsIo {
  excel: Pick<ExcelBridge, "readSelection" | "readColumns" | "writeCells">;
  create(body: {
    events: EventRow[];
    timezone: string;
    dryRun: boolean;
  }): Promise<{ results: CreateResult[] }>;
}

type State = Omit<RowsSnapshot, "missing" | "ready">;

export class CalendarRowsRunner {
  #state: State = {
    busy: null,
    table: null,
    mapping: {},
    occupied: 0,
    overwrite: false,
    outcomes: null,
    written: null,
    error: null,
  };
  readonly #onChange: (snapshot: RowsSnapshot) => void;

  constructor(onChange: (snapshot: RowsSnapshot) => void) {
    this.#onChange = onChange;
  }

  snapshot(): RowsSnapshot {
    const { table, mapping } = this.#state;
    const missing = CALENDAR_FIELDS.filter((f) => f.required && mapping[f.field] === undefined);
    return { ...this.#state, missing, ready: table !== null && missing.length === 0 };
  }

  /** Takes the selection as the table: its first row names the columns. */
  async pickTable(io: RowsIo): Promise<void> {
    if (this.#state.busy) return;
    this.#set({ busy: "reading", error: null });
    try {
      const selection = await io.excel.readSelection();
      const table = tableOf(selection.block, selection.address);
      const data = await readTable(io.excel, table);
      table.headers = table.columns.map((column) => ({
        column,
        name: String(data.columns.get(column)?.[0] ?? "").trim(),
      }));
      this.#set({
        table,
        mapping: guessMapping(table.headers),
        occupied: data.occupied,
        overwrite: false,
        outcomes: null,
        written: null,
      });
    } catch (error) {
      this.#set({ error });
    } finally {
      this.#set({ busy: null });
    }
  }

  /** Chooses the column of a field (undefined: none), which forgets the last results. */
  setColumn(field: CalendarField, column: number | undefined): void {
    const mapping = { ...this.#state.mapping };
    if (column === undefined) delete mapping[field];
    else mapping[field] = column;
    this.#set({ mapping, outcomes: null, written: null });
  }

  setOverwrite(overwrite: boolean): void {
    this.#set({ overwrite });
  }

  /** Forgets the last results (they were made for another timezone). */
  clearResults(): void {
    if (this.#state.outcomes || this.#state.written) this.#set({ outcomes: null, written: null });
  }

  /**
   * Reads the rows again (the sheet may have changed since the table was picked) and previews
   * them (dryRun) or creates them and writes the results next to them.
   */
  async run(io: RowsIo, options: { dryRun: boolean; timezone: string }): Promise<void> {
    const { dryRun, timezone } = options;
    const { table, mapping, overwrite, busy } = this.#state;
    if (!table || !this.snapshot().ready || busy) return;
    this.#set({ busy: dryRun ? "preview" : "create", error: null, written: null });
    try {
      const data = await readTable(io.excel, table);
      this.#set({ occupied: data.occupied });
      if (!dryRun && data.occupied > 0 && !overwrite) return;
      const prepared = rowsToEvents({
        columns: data.columns,
        mapping,
        firstRow: table.block.firstRow,
      });
      if (prepared.length === 0) throw new Error("The selected rows under the header are empty.");
      const rows = await createRows(io, prepared, { timezone, dryRun });
      this.#set({ outcomes: { rows, dryRun } });
      if (dryRun) return;
      await io.excel.writeCells(resultCells(table, data.columns, rows));
      const { block, output } = table;
      this.#set({
        occupied: 0,
        written: `Results written to ${formatBlock({ ...block, firstColumn: output, lastColumn: output })}.`,
      });
    } catch (error) {
      this.#set({ error });
    } finally {
      this.#set({ busy: null });
    }
  }

  #set(change: Partial<State>): void {
    this.#state = { ...this.#state, ...change };
    this.#onChange(this.snapshot());
  }
}

/** The selection as a table, its results going right of it; throws when it cannot be one. */
function tableOf(block: CellBlock, address: string): RowsTable {
  if (block.lastRow <= block.firstRow)
    throw new Error(
      "Select the table with its header row and at least one row of meetings under it.",
    );
  if (block.lastColumn >= MAX_COLUMN)
    throw new Error("Leave a free column right of the selection for the results.");
  const last = Math.min(block.lastColumn, block.firstColumn + MAX_TABLE_COLUMNS - 1);
  const columns: number[] = [];
  for (let c = block.firstColumn; c <= last; c++) columns.push(c);
  return { block, address, columns, headers: [], output: block.lastColumn + 1 };
}

/** The table's columns and its result column, and how many result cells hold other data. */
async function readTable(
  excel: RowsIo["excel"],
  table: RowsTable,
): Promise<{ columns: Map<number, CellValue[]>; occupied: number }> {
  const { block } = table;
  const columns = await excel.readColumns(
    block.sheet,
    [...table.columns, table.output],
    block.firstRow,
    block.lastRow,
  );
  const out = columns.get(table.output) ?? [];
  return { columns, occupied: out.slice(1).filter((value) => !isResultText(value)).length };
}

/** Sends the readable rows in one request; each prepared row gets its outcome. */
async function createRows(
  io: RowsIo,
  prepared: PreparedRow[],
  options: { timezone: string; dryRun: boolean },
): Promise<RowOutcome[]> {
  const sent = prepared.flatMap((p) => (p.event ? [{ row: p.row, event: p.event }] : []));
  const response = sent.length
    ? await io.create({ events: sent.map((p) => p.event), ...options })
    : { results: [] };
  const byRow = new Map<number, RowOutcome>();
  for (const result of response.results) {
    const row = sent[result.index]?.row;
    if (row === undefined) continue;
    byRow.set(
      row,
      result.ok
        ? { row, ok: true, status: result.status, event: result.event, htmlLink: result.htmlLink }
        : { row, ok: false, message: result.error.message },
    );
  }
  return prepared.map(
    (p) =>
      byRow.get(p.row) ?? { row: p.row, ok: false, message: p.error ?? "No answer for this row" },
  );
}

/** Each row's link or error, under a header of its own unless the user's header is there. */
function resultCells(
  table: RowsTable,
  columns: ReadonlyMap<number, readonly CellValue[]>,
  rows: RowOutcome[],
) {
  const { block, output } = table;
  const cell = (row: number, value: string) => ({ sheet: block.sheet, column: output, row, value });
  const header = columns.get(output)?.[0] ?? "";
  return [
    ...(isResultText(header) ? [cell(block.firstRow, RESULT_HEADER)] : []),
    ...rows.map((outcome) => cell(outcome.row, resultCellText(outcome))),
  ];
}
