import { describe, expect, it } from "vitest";
import { parseAddress } from "../office/address.ts";
import type { CellValue } from "../office/index.ts";
import type { CreateResult } from "./calendar-api.ts";
import type { EventRow } from "./calendar-rows.ts";
import { CalendarRowsRunner, type RowsIo, type RowsSnapshot } from "./calendar-rows-runner.ts";

const block = (address: string) => parseAddress(address, "Sheet1")!;
const key = (column: number, row: number) => `${column}:${row}`;

/** One sheet in memory, behind the three calls the runner makes of Excel. */
function workbook(cells: Record<string, CellValue>, selection: string) {
  const grid = new Map<string, CellValue>();
  const writes: string[] = [];
  for (const [address, value] of Object.entries(cells)) {
    const { firstColumn, firstRow } = block(address);
    grid.set(key(firstColumn, firstRow), value);
  }
  const excel: RowsIo["excel"] = {
    readSelection: async () => ({ address: selection, block: block(selection) }),
    readColumns: async (_sheet, columns, firstRow, lastRow) =>
      new Map(
        columns.map((column) => [
          column,
          Array.from(
            { length: lastRow - firstRow + 1 },
            (_, i) => grid.get(key(column, firstRow + i)) ?? "",
          ),
        ]),
      ),
    writeCells: async (cells) => {
      for (const { column, row, value } of cells) {
        grid.set(key(column, row), value);
        writes.push(`${column}:${row}`);
      }
    },
  };
  const get = (address: string) => {
    const { firstColumn, firstRow } = block(address);
    return grid.get(key(firstColumn, firstRow)) ?? "";
  };
  return { excel, get, writes };
}

/**
 * The backend's event creation as the runner sees it: ids follow from the event, so an event
 * sent again already exists; a dry run plans without creating; `refuse` fails single events.
 */
function calendar(refuse: (event: EventRow) => string | null = () => null) {
  const created = new Set<string>();
  const requests: { events: EventRow[]; timezone: string; dryRun: boolean }[] = [];
  const create: RowsIo["create"] = async (body) => {
    requests.push(body);
    const results = body.events.map((event, index): CreateResult => {
      const problem = refuse(event);
      if (problem)
        return { index, ok: false, error: { code: "invalid_request", message: problem } };
      const id = `ev-${event.summary}-${event.start}`.replace(/\W+/g, "-").toLowerCase();
      const status = body.dryRun ? "planned" : created.has(id) ? "exists" : "created";
      if (status === "created") created.add(id);
      const htmlLink = body.dryRun ? null : `https://calendar.test/${id}`;
      const { summary, start } = event;
      const stored = { id, summary, start, end: start, allDay: false, timeZone: body.timezone };
      const rest = { location: null, description: null, attendees: [], recurrence: [] };
      const publicEvent = { ...stored, ...rest, status: "confirmed", htmlLink };
      return { index, ok: true, status, id, htmlLink, event: publicEvent };
    });
    return { results };
  };
  return { create, requests, created };
}

const MEETINGS = {
  A1: "Meeting",
  B1: "Starts",
  C1: "Minutes",
  A2: "Review",
  B2: "2026-12-02 10:00",
  C2: 45,
  A3: "Budget",
  B3: "2026-12-03 14:30",
  C3: "1:30",
};

function rig(cells: Record<string, CellValue>, selection: string, api = calendar()) {
  const sheet = workbook(cells, selection);
  const snapshots: RowsSnapshot[] = [];
  const runner = new CalendarRowsRunner((snapshot) => snapshots.push(snapshot));
  const io: RowsIo = { excel: sheet.excel, create: api.create };
  const last = () => snapshots.at(-1)!;
  return { runner, io, sheet, api, snapshots, last };
}

describe("CalendarRowsRunner", () => {
  it("picks the selected table: its headers pre-fill the mapping, other data right of it is counted", async () => {
    const { runner, io, last, snapshots } = rig({ ...MEETINGS, D3: "my notes" }, "Sheet1!A1:C3");
    await runner.pickTable(io);
    expect(snapshots.map((s) => s.busy)).toEqual(["reading", "reading", null]);
    expect(last()).toMatchObject({
      table: {
        address: "Sheet1!A1:C3",
        columns: [0, 1, 2],
        output: 3,
        headers: [
          { column: 0, name: "Meeting" },
          { column: 1, name: "Starts" },
          { column: 2, name: "Minutes" },
        ],
      },
      mapping: { title: 0, start: 1, duration: 2 },
      missing: [],
      ready: true,
      occupied: 1,
      error: null,
    });
  });

  it("refuses a selection without rows under its header, or without a free column right of it", async () => {
    const header = rig(MEETINGS, "Sheet1!A1:C1");
    await header.runner.pickTable(header.io);
    expect(header.last()).toMatchObject({ table: null, busy: null });
    expect(String(header.last().error)).toMatch(/at least one row of meetings under it/);

    const edge = rig({ XFC1: "Meeting", XFD1: "Starts" }, "Sheet1!XFC1:XFD2");
    await edge.runner.pickTable(edge.io);
    expect(String(edge.last().error)).toMatch(/Leave a free column right of the selection/);
  });

  it("previews without writing, creates each row once with its link next to it, and again finds them all there", async () => {
    const { runner, io, sheet, api, last, snapshots } = rig(MEETINGS, "Sheet1!A1:C3");
    await runner.pickTable(io);

    await runner.run(io, { dryRun: true, timezone: "Europe/Berlin" });
    expect(last().outcomes).toMatchObject({
      dryRun: true,
      rows: [
        { row: 2, ok: true, status: "planned" },
        { row: 3, ok: true, status: "planned" },
      ],
    });
    expect(sheet.writes).toEqual([]);
    expect(api.created.size).toBe(0);

    const before = snapshots.length;
    await runner.run(io, { dryRun: false, timezone: "Europe/Berlin" });
    // The results show while they are written, then where they went.
    expect(snapshots.slice(before).map((s) => [s.busy, s.outcomes?.dryRun, s.written])).toEqual([
      ["create", true, null],
      ["create", true, null],
      ["create", false, null],
      ["create", false, "Results written to Sheet1!D1:D3."],
      [null, false, "Results written to Sheet1!D1:D3."],
    ]);
    expect(api.requests.at(-1)).toEqual({
      dryRun: false,
      timezone: "Europe/Berlin",
      events: [
        { summary: "Review", start: "2026-12-02T10:00", durationMinutes: 45 },
        { summary: "Budget", start: "2026-12-03T14:30", durationMinutes: 90 },
      ],
    });
    expect(["D1", "D2", "D3"].map(sheet.get)).toEqual([
      "Calendar event",
      "https://calendar.test/ev-review-2026-12-02t10-00",
      "https://calendar.test/ev-budget-2026-12-03t14-30",
    ]);

    await runner.run(io, { dryRun: false, timezone: "Europe/Berlin" });
    expect(last().outcomes?.rows.map((r) => r.ok && r.status)).toEqual(["exists", "exists"]);
    expect(api.created.size).toBe(2);
    expect(last()).toMatchObject({ busy: null, error: null, occupied: 0 });
  });

  it("fails a row on its own: unreadable, refused, or unanswered; the other rows are created", async () => {
    const api = calendar((event) =>
      event.summary === "Budget" ? "attendees: not an e-mail" : null,
    );
    const cells = { ...MEETINGS, A4: "Party", A5: "Offsite", B5: "2026-12-04" };
    const { runner, io, sheet, last } = rig(cells, "Sheet1!A1:C5", {
      ...api,
      // The backend answers for every event but the last it was sent.
      create: async (body) => {
        const { results } = await api.create(body);
        return { results: results.slice(0, -1) };
      },
    });
    await runner.pickTable(io);
    await runner.run(io, { dryRun: false, timezone: "UTC" });
    expect(last().outcomes?.rows).toMatchObject([
      { row: 2, ok: true, status: "created" },
      { row: 3, ok: false, message: "attendees: not an e-mail" },
      { row: 4, ok: false, message: "start: empty or not a date" },
      { row: 5, ok: false, message: "No answer for this row" },
    ]);
    expect(["D3", "D4", "D5"].map(sheet.get)).toEqual([
      "Error: attendees: not an e-mail",
      "Error: start: empty or not a date",
      "Error: No answer for this row",
    ]);
    expect(api.requests[0]!.events.map((e) => e.summary)).toEqual(["Review", "Budget", "Offsite"]);
  });

  it("writes over other data right of the table only once allowed, and keeps a header already there", async () => {
    const { runner, io, sheet, api, last } = rig(
      { ...MEETINGS, D1: "Link", D2: "my notes" },
      "Sheet1!A1:C3",
    );
    await runner.pickTable(io);
    expect(last().occupied).toBe(1);

    await runner.run(io, { dryRun: false, timezone: "UTC" });
    expect(api.requests).toEqual([]);
    expect(last()).toMatchObject({ busy: null, occupied: 1, outcomes: null, error: null });
    expect(sheet.get("D2")).toBe("my notes");

    runner.setOverwrite(true);
    await runner.run(io, { dryRun: false, timezone: "UTC" });
    expect(sheet.get("D1")).toBe("Link");
    expect(sheet.get("D2")).toMatch(/^https:\/\/calendar\.test\//);
    expect(last().occupied).toBe(0);
  });

  it("reports what stops a run, keeping results that could not be written", async () => {
    const empty = rig({ A1: "Meeting", B1: "Starts" }, "Sheet1!A1:B3");
    await empty.runner.pickTable(empty.io);
    await empty.runner.run(empty.io, { dryRun: true, timezone: "UTC" });
    expect(String(empty.last().error)).toMatch(/The selected rows under the header are empty/);
    expect(empty.api.requests).toEqual([]);

    const down = rig(MEETINGS, "Sheet1!A1:C3", {
      ...calendar(),
      create: async () => Promise.reject(new Error("backend unreachable")),
    });
    await down.runner.pickTable(down.io);
    await down.runner.run(down.io, { dryRun: false, timezone: "UTC" });
    expect(down.last()).toMatchObject({ busy: null, outcomes: null, written: null });
    expect(String(down.last().error)).toMatch(/backend unreachable/);

    const locked = rig(MEETINGS, "Sheet1!A1:C3");
    locked.io.excel = {
      ...locked.sheet.excel,
      writeCells: async () => Promise.reject(new Error("cell is being edited")),
    };
    await locked.runner.pickTable(locked.io);
    await locked.runner.run(locked.io, { dryRun: false, timezone: "UTC" });
    expect(locked.last()).toMatchObject({ busy: null, written: null, outcomes: { dryRun: false } });
    expect(locked.last().outcomes?.rows).toHaveLength(2);
    expect(String(locked.last().error)).toMatch(/cell is being edited/);
    expect(locked.api.created.size).toBe(2);
  });

  it("runs only with every required column chosen, and forgets results when the mapping or timezone changes", async () => {
    const { runner, io, api, last } = rig(MEETINGS, "Sheet1!A1:C3");
    await runner.pickTable(io);
    await runner.run(io, { dryRun: true, timezone: "UTC" });
    expect(last().outcomes).not.toBeNull();

    runner.setColumn("start", undefined);
    expect(last()).toMatchObject({
      mapping: { title: 0, duration: 2 },
      ready: false,
      outcomes: null,
    });
    expect(last().missing.map((f) => f.label)).toEqual(["Start"]);
    await runner.run(io, { dryRun: true, timezone: "UTC" });
    expect(api.requests).toHaveLength(1);

    runner.setColumn("start", 1);
    await runner.run(io, { dryRun: true, timezone: "UTC" });
    expect(last().outcomes).not.toBeNull();
    runner.clearResults();
    expect(last()).toMatchObject({ outcomes: null, written: null });
  });
});
