/**
 * Rows of a sheet as calendar events, without Office.js: which column is which (guessed from
 * the header names), cell values as the API's fields (Excel date serials as local date-times),
 * and the result text written back next to each row.
 */
import type { CellValue } from "../office/index.ts";

export type CalendarField = "title" | "start" | "end" | "duration" | "location" | "attendees";

export const CALENDAR_FIELDS: { field: CalendarField; label: string; required: boolean }[] = [
  { field: "title", label: "Title", required: true },
  { field: "start", label: "Start", required: true },
  { field: "end", label: "End", required: false },
  { field: "duration", label: "Duration (minutes)", required: false },
  { field: "location", label: "Location", required: false },
  { field: "attendees", label: "Attendees (e-mails)", required: false },
];

/** The sheet column (0-based index) chosen for each field; absent when none. */
export type ColumnMapping = Partial<Record<CalendarField, number>>;

/** Header words for each field, tried in this order (so "End date" is taken by End first). */
const HEADER_PATTERNS: [CalendarField, RegExp][] = [
  ["end", /\b(end|ends|finish|until|to)\b/],
  ["duration", /\b(duration|length|minutes|mins?|hours?|hrs?)\b/],
  ["start", /\b(start|starts|begin|begins|from|when|date|time|datetime)\b/],
  ["location", /\b(location|place|where|room|venue|address)\b/],
  ["attendees", /\b(attendees?|guests?|invitees?|participants?|emails?|e-mails?|people|with)\b/],
  ["title", /\b(title|summary|subject|event|meeting|name|what|description)\b/],
];

/** Pre-fills the mapping from header names: each field takes the first unclaimed match. */
export function guessMapping(headers: readonly { column: number; name: string }[]): ColumnMapping {
  const mapping: ColumnMapping = {};
  const taken = new Set<number>();
  for (const [field, pattern] of HEADER_PATTERNS) {
    const match = headers.find(
      (h) => !taken.has(h.column) && pattern.test(h.name.toLowerCase().replace(/[_-]+/g, " ")),
    );
    if (match) {
      mapping[field] = match.column;
      taken.add(match.column);
    }
  }
  return mapping;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * An Excel date serial (days since 1899-12-30; the fraction is the time of day) as an ISO
 * local date (whole days) or date-time without an offset: the backend reads it in the timezone.
 */
export function serialToIso(serial: number): string | null {
  if (!Number.isFinite(serial) || serial < 1 || serial > 2_958_465) return null;
  const totalMinutes = Math.round(serial * 1440);
  const date = new Date(Date.UTC(1899, 11, 30) + totalMinutes * 60_000);
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  if (totalMinutes % 1440 === 0) return day;
  return `${day}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** A start or end cell as ISO 8601 text (Excel dates converted; "2026-03-10 9:00" → "…T09:00"). */
export function timeValue(value: CellValue): string | null {
  if (typeof value === "number") return serialToIso(value);
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (!text) return null;
  const spaced = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2}.*)$/.exec(text);
  return spaced ? `${spaced[1]}T${spaced[2]!.padStart(2, "0")}:${spaced[3]}` : text;
}

/**
 * A duration cell in minutes: a number of minutes (an Excel time under one day, like 1:30,
 * counts as that time), or text such as "90", "90 min", "1.5 h", "1h30", "1:30".
 */
export function durationMinutes(value: CellValue): number | null {
  if (typeof value === "number") {
    if (!(value > 0)) return null;
    return value < 1 ? Math.round(value * 1440) : Math.round(value);
  }
  if (typeof value !== "string") return null;
  const text = value.trim().toLowerCase();
  let match = /^(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?)?$/.exec(text);
  if (match) return Math.round(Number(match[1]));
  match = /^(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?)$/.exec(text);
  if (match) return Math.round(Number(match[1]) * 60);
  match = /^(\d+)\s*(?:h|hr|hrs|hours?)\s*(\d+)\s*(m|min|mins|minutes?)?$/.exec(text);
  if (match) return Number(match[1]) * 60 + Number(match[2]);
  match = /^(\d+):(\d{2})$/.exec(text);
  if (match) return Number(match[1]) * 60 + Number(match[2]);
  return null;
}

const text = (value: CellValue | undefined) =>
  value === undefined || value === null ? "" : String(value).trim();

/** An event row as POST /api/v1/calendar/events takes it. */
export interface EventRow {
  summary: string;
  start: string;
  end?: string;
  durationMinutes?: number;
  location?: string;
  attendees?: string[];
}

export type PreparedRow =
  | { row: number; event: EventRow; error?: undefined }
  | { row: number; error: string; event?: undefined };

/**
 * The data rows (under the header row) as events. Rows with every mapped cell empty are left
 * out; a row whose cells cannot be read gets an error of its own (the others still go).
 */
export function rowsToEvents(input: {
  columns: ReadonlyMap<number, readonly CellValue[]>;
  mapping: ColumnMapping;
  /** The sheet row of index 0 in each column (the header row). */
  firstRow: number;
}): PreparedRow[] {
  const { columns, mapping, firstRow } = input;
  const cell = (field: CalendarField, index: number): CellValue | undefined => {
    const column = mapping[field];
    return column === undefined ? undefined : columns.get(column)?.[index];
  };
  const height = Math.max(0, ...[...columns.values()].map((values) => values.length));
  const mapped = Object.keys(mapping) as CalendarField[];
  const rows: PreparedRow[] = [];
  for (let index = 1; index < height; index++) {
    const row = firstRow + index;
    if (mapped.every((field) => text(cell(field, index)) === "")) continue;
    const start = timeValue(cell("start", index) ?? "");
    if (!start) {
      rows.push({ row, error: "start: empty or not a date" });
      continue;
    }
    const event: EventRow = { summary: text(cell("title", index)), start };
    const endCell = cell("end", index);
    if (endCell !== undefined && text(endCell) !== "") {
      const end = timeValue(endCell);
      if (!end) {
        rows.push({ row, error: "end: not a date" });
        continue;
      }
      event.end = end;
    } else {
      const durationCell = cell("duration", index);
      if (durationCell !== undefined && text(durationCell) !== "") {
        const minutes = durationMinutes(durationCell);
        if (minutes === null) {
          rows.push({ row, error: `duration: "${text(durationCell)}" is not a number of minutes` });
          continue;
        }
        event.durationMinutes = minutes;
      }
    }
    const location = text(cell("location", index));
    if (location) event.location = location;
    const attendees = text(cell("attendees", index))
      .split(/[\s,;]+/)
      .filter(Boolean);
    if (attendees.length) event.attendees = attendees;
    rows.push({ row, event });
  }
  return rows;
}

/** What is written next to a row: the event's link, or the error. */
export function resultCellText(
  result: { ok: true; htmlLink: string | null; status: string } | { ok: false; message: string },
): string {
  if (!result.ok) return `Error: ${result.message}`;
  return result.htmlLink ?? (result.status === "exists" ? "Already exists" : "Created");
}

/** True for what an earlier run wrote into the result column (overwriting it asks nothing). */
export function isResultText(value: CellValue): boolean {
  const t = text(value);
  return (
    t === "" ||
    /^https?:\/\//.test(t) ||
    t.startsWith("Error: ") ||
    ["Created", "Already exists", "Calendar event"].includes(t)
  );
}
