import { describe, expect, it } from "vitest";
import { countsText, describeWhen, tally } from "./event-text.ts";

describe("calendar event text", () => {
  it("counts created, existing, planned and failed events, naming failures only when there are some", () => {
    const outcomes = [
      { ok: true, status: "created" },
      { ok: true, status: "exists" },
      { ok: true, status: "exists" },
      { ok: true, status: "planned" },
      { ok: false },
    ] as const;
    expect(tally(outcomes)).toEqual({ created: 1, exists: 2, planned: 1, failed: 1 });
    expect(countsText(outcomes)).toBe("1 created, 2 already existed, 1 failed.");
    expect(countsText([{ ok: true, status: "created" }])).toBe("1 created, 0 already existed.");
  });

  it("describes an event's time in its own zone, all-day events by their days", () => {
    const timed = describeWhen({
      start: "2026-12-01T13:00:00-05:00",
      end: "2026-12-01T14:30:00-05:00",
      allDay: false,
      timeZone: "America/New_York",
    });
    expect(timed).toMatch(/Dec.*1.*2026.*1:00.*2:30.*\(America\/New_York\)$/);
    // Google's end date of an all-day event is the day after its last.
    const days = { start: "2026-12-04", allDay: true, timeZone: null };
    expect(describeWhen({ ...days, end: "2026-12-05" })).toMatch(/^[^–]*Dec.*4.*, all day$/);
    expect(describeWhen({ ...days, end: "2026-12-07" })).toMatch(/4.* – .*6.*, all day$/);
    expect(describeWhen({ ...days, start: "soon", end: "later", allDay: false })).toBe(
      "soon – later",
    );
  });
});
