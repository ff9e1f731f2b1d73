import { describe, expect, it } from "vitest";
import {
  durationMinutes,
  guessMapping,
  isResultText,
  resultCellText,
  rowsToEvents,
  serialToIso,
  timeValue,
} from "./calendar-rows.ts";

describe("calendar rows", () => {
  it("guesses columns from header names, each column once", () => {
    const headers = ["Subject", "Start date", "End date", "Length", "Where", "Guests"].map(
      (name, column) => ({ column, name }),
    );
    expect(guessMapping(headers)).toEqual({
      title: 0,
      start: 1,
      end: 2,
      duration: 3,
      location: 4,
      attendees: 5,
    });
    expect(guessMapping([{ column: 3, name: "Notes" }])).toEqual({});
  });

  it("reads Excel date serials, ISO text, and durations", () => {
    expect(serialToIso(46358)).toBe("2026-12-02");
    expect(serialToIso(46358.4375)).toBe("2026-12-02T10:30");
    expect(timeValue("2026-12-02 9:00")).toBe("2026-12-02T09:00");
    expect(timeValue("  ")).toBeNull();
    expect(durationMinutes(45)).toBe(45);
    expect(durationMinutes(1.5 / 24)).toBe(90);
    expect(durationMinutes("1h30")).toBe(90);
    expect(durationMinutes("1.5 h")).toBe(90);
    expect(durationMinutes("1:30")).toBe(90);
    expect(durationMinutes("soon")).toBeNull();
  });

  it("turns data rows into events, skipping empty rows and flagging unreadable ones", () => {
    const columns = new Map([
      [0, ["Title", "Review", "", "Budget", "Party"]],
      [1, ["Start", "2026-12-02 10:00", "", "", 46358]],
      [2, ["Minutes", 45, "", 30, "often"]],
      [3, ["With", "a@x.org; b@x.org", "", "", ""]],
    ]);
    const rows = rowsToEvents({
      columns,
      mapping: { title: 0, start: 1, duration: 2, attendees: 3 },
      firstRow: 5,
    });
    expect(rows).toEqual([
      {
        row: 6,
        event: {
          summary: "Review",
          start: "2026-12-02T10:00",
          durationMinutes: 45,
          attendees: ["a@x.org", "b@x.org"],
        },
      },
      { row: 8, error: "start: empty or not a date" },
      { row: 9, error: 'duration: "often" is not a number of minutes' },
    ]);
  });

  it("writes links or errors, and recognises its own results", () => {
    const link = resultCellText({ ok: true, htmlLink: "https://g.co/e", status: "created" });
    expect(link).toBe("https://g.co/e");
    expect(resultCellText({ ok: false, message: "boom" })).toBe("Error: boom");
    expect(isResultText(link)).toBe(true);
    expect(isResultText("Error: boom")).toBe(true);
    expect(isResultText("my notes")).toBe(false);
  });
});
