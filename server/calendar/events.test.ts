import { describe, expect, it } from "vitest";
import {
  EventInputError,
  eventId,
  eventInputSchema,
  fromGoogleEvent,
  normalizeEvent,
  toGoogleEvent,
} from "./events.ts";

const input = (row: Record<string, unknown>) => eventInputSchema.parse(row);

describe("normalizeEvent", () => {
  it("reads a time without an offset in the zone, with the offset of that date", () => {
    expect(
      normalizeEvent(input({ summary: "A", start: "2026-03-07T10:00" }), "America/New_York"),
    ).toEqual({
      summary: "A",
      start: "2026-03-07T10:00:00-05:00",
      end: "2026-03-07T11:00:00-05:00",
      allDay: false,
      timeZone: "America/New_York",
    });
    expect(
      normalizeEvent(input({ summary: "A", start: "2026-03-09T10:00" }), "America/New_York").start,
    ).toBe("2026-03-09T10:00:00-04:00");
  });

  it("converts a time with another offset into the zone", () => {
    const event = normalizeEvent(
      input({ summary: "A", start: "2026-07-01T09:00:00Z", durationMinutes: 30 }),
      "Europe/Berlin",
    );
    expect(event).toMatchObject({
      start: "2026-07-01T11:00:00+02:00",
      end: "2026-07-01T11:30:00+02:00",
    });
  });

  it("makes all-day events from dates, with an exclusive end", () => {
    expect(normalizeEvent(input({ summary: "A", start: "2026-03-20" }), "UTC")).toMatchObject({
      start: "2026-03-20",
      end: "2026-03-21",
      allDay: true,
    });
    // A sheet's end date that equals the start is one day.
    expect(
      normalizeEvent(input({ summary: "A", start: "2026-03-20", end: "2026-03-20" }), "UTC").end,
    ).toBe("2026-03-21");
    expect(
      normalizeEvent(
        input({ summary: "A", start: "2026-03-20T15:00", allDay: true, durationMinutes: 2880 }),
        "UTC",
      ),
    ).toMatchObject({ start: "2026-03-20", end: "2026-03-22", allDay: true });
  });

  const bad: [Record<string, unknown>, string][] = [
    [{ summary: "A", start: "someday" }, "start"],
    [{ summary: "A", start: "2026-02-30" }, "start"],
    [{ summary: "A", start: "2026-03-20T10:00", end: "2026-03-20T09:00" }, "end"],
    [{ summary: "A", start: "2026-03-20T10:00", end: "2026-03-21" }, "end"],
    [{ summary: "A", start: "2026-03-20", end: "2026-03-19" }, "end"],
    [{ summary: "A", start: "2026-03-20", allDay: false }, "start"],
    [{ summary: "A", start: "2026-03-20", timeZone: "Atlantis/Capital" }, "timeZone"],
  ];
  for (const [row, path] of bad) {
    it(`refuses ${JSON.stringify(row)} naming ${path}`, () => {
      try {
        normalizeEvent(input(row), "UTC");
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(EventInputError);
        expect((error as EventInputError).path).toBe(path);
      }
    });
  }
});

describe("eventId", () => {
  const event = normalizeEvent(
    input({ summary: "Review", start: "2026-03-10T13:00", attendees: ["b@x.com", "a@x.com"] }),
    "America/New_York",
  );

  it("is valid for Google: base32hex lowercase, 5 to 1024 characters", () => {
    const id = eventId("tok_1", event);
    expect(id).toMatch(/^[a-v0-9]{5,1024}$/);
    expect(id).toHaveLength(44);
  });

  it("is the same for the same caller and content, however the time is written", () => {
    expect(eventId("tok_1", event)).toBe(eventId("tok_1", event));
    const sameInstant = normalizeEvent(
      input({
        summary: "Review",
        start: "2026-03-10T17:00:00Z",
        attendees: ["A@x.com", "b@x.com"],
      }),
      "America/New_York",
    );
    expect(eventId("tok_1", sameInstant)).toBe(eventId("tok_1", event));
  });

  it("differs by caller and by any content", () => {
    const id = eventId("tok_1", event);
    expect(eventId("tok_2", event)).not.toBe(id);
    expect(eventId("tok_1", { ...event, summary: "Review!" })).not.toBe(id);
    expect(eventId("tok_1", { ...event, end: "2026-03-10T14:30:00-04:00" })).not.toBe(id);
    expect(eventId("tok_1", { ...event, location: "Room 1" })).not.toBe(id);
    expect(eventId("tok_1", { ...event, recurrence: ["RRULE:FREQ=DAILY"] })).not.toBe(id);
  });
});

describe("Google bodies", () => {
  it("sends date-times with their zone, and all-day events as dates", () => {
    const timed = normalizeEvent(
      input({ summary: "A", start: "2026-03-10T13:00", location: "Here", attendees: ["a@x.com"] }),
      "America/New_York",
    );
    expect(toGoogleEvent("abcde", timed)).toEqual({
      id: "abcde",
      summary: "A",
      start: { dateTime: "2026-03-10T13:00:00-04:00", timeZone: "America/New_York" },
      end: { dateTime: "2026-03-10T14:00:00-04:00", timeZone: "America/New_York" },
      location: "Here",
      attendees: [{ email: "a@x.com" }],
    });
    const allDay = normalizeEvent(input({ summary: "B", start: "2026-03-20" }), "UTC");
    expect(toGoogleEvent("fghij", allDay)).toEqual({
      id: "fghij",
      summary: "B",
      start: { date: "2026-03-20" },
      end: { date: "2026-03-21" },
    });
  });

  it("reads Google's events back", () => {
    expect(
      fromGoogleEvent({
        id: "x1",
        summary: "S",
        start: { date: "2026-03-20" },
        end: { date: "2026-03-21" },
        attendees: [{ email: "a@x.com" }, {}],
        status: "confirmed",
        htmlLink: "https://calendar/x1",
      }),
    ).toEqual({
      id: "x1",
      summary: "S",
      start: "2026-03-20",
      end: "2026-03-21",
      allDay: true,
      timeZone: null,
      location: null,
      description: null,
      attendees: ["a@x.com"],
      recurrence: [],
      status: "confirmed",
      htmlLink: "https://calendar/x1",
    });
  });
});
