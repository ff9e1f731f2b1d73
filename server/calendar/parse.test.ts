import { describe, expect, it } from "vitest";
import {
  isKnownTimezone,
  parseEvents,
  readNow,
  TimezoneError,
  type ParseOptions,
} from "./parse.ts";

/** Parses with `now` given as a wall-clock time with offset. */
function parse(text: string, timezone: string, now: string, extra: Partial<ParseOptions> = {}) {
  return parseEvents(text, { timezone, now: new Date(now), ...extra });
}

function one(text: string, timezone: string, now: string) {
  const outcome = parse(text, timezone, now);
  expect(outcome.events, JSON.stringify(outcome)).toHaveLength(1);
  return { ...outcome.events[0]!, warnings: outcome.warnings };
}

// 2026: New York springs forward on March 8 and falls back on November 1;
// Berlin springs forward on March 29 and falls back on October 25.
const NY = "America/New_York";
const BERLIN = "Europe/Berlin";

describe("timezones and daylight saving", () => {
  it("gives each date the offset in force that day in New York around March 8", () => {
    const now = "2026-03-05T10:00:00-05:00"; // a Thursday
    expect(one("Call tomorrow at 10am", NY, now)).toMatchObject({
      start: "2026-03-06T10:00:00-05:00",
      end: "2026-03-06T11:00:00-05:00",
      timeZone: NY,
      allDay: false,
    });
    expect(one("Call Monday at 10am", NY, now)).toMatchObject({
      start: "2026-03-09T10:00:00-04:00",
      end: "2026-03-09T11:00:00-04:00",
    });
  });

  it("moves a time the spring change skips forward, with a warning (New York)", () => {
    const event = one("Backup March 8 at 2:30am", NY, "2026-03-05T10:00:00-05:00");
    expect(event.start).toBe("2026-03-08T03:30:00-04:00");
    expect(event.warnings).toEqual([
      "2:30 on 2026-03-08 does not exist in America/New_York (the clocks go forward); used 3:30 -04:00",
    ]);
  });

  it("gives each date its offset in Berlin around March 29", () => {
    const now = "2026-03-27T09:00:00+01:00"; // a Friday
    expect(one("Brunch tomorrow at 11", BERLIN, now).start).toBe("2026-03-28T11:00:00+01:00");
    expect(one("Sync on Sunday at 9am", BERLIN, now)).toMatchObject({
      start: "2026-03-29T09:00:00+02:00",
      end: "2026-03-29T10:00:00+02:00",
    });
    const gap = one("Job on March 29 at 2:15am", BERLIN, now);
    expect(gap.start).toBe("2026-03-29T03:15:00+02:00");
    expect(gap.warnings[0]).toContain("does not exist in Europe/Berlin");
  });

  it("gives each date its offset in Berlin around October 25, and picks the first of a repeated hour", () => {
    const now = "2026-10-23T09:00:00+02:00"; // a Friday
    expect(one("Review Saturday at 4pm", BERLIN, now).start).toBe("2026-10-24T16:00:00+02:00");
    expect(one("Review Monday 9am", BERLIN, now).start).toBe("2026-10-26T09:00:00+01:00");
    const twice = one("Maintenance October 25 at 2:30am", BERLIN, now);
    expect(twice.start).toBe("2026-10-25T02:30:00+02:00");
    expect(twice.end).toBe("2026-10-25T02:30:00+01:00"); // 60 real minutes later
    expect(twice.warnings[0]).toBe(
      "2:30 on 2026-10-25 happens twice in Europe/Berlin (the clocks go back); used the first, +02:00",
    );
  });

  it("gives each date its offset in New York around November 1", () => {
    const now = "2026-10-29T10:00:00-04:00"; // a Thursday
    expect(one("Standup Friday at 9am", NY, now).start).toBe("2026-10-30T09:00:00-04:00");
    expect(one("Standup Monday at 9am", NY, now).start).toBe("2026-11-02T09:00:00-05:00");
    const night = one("Party Saturday 11pm-2am", NY, now);
    expect(night).toMatchObject({
      start: "2026-10-31T23:00:00-04:00",
      end: "2026-11-01T02:00:00-05:00",
    });
    const repeated = one("Backup window Nov 1 at 1:30am for 90 minutes", NY, now);
    expect(repeated).toMatchObject({
      start: "2026-11-01T01:30:00-04:00",
      end: "2026-11-01T02:00:00-05:00",
    });
  });

  it("reads the same words as each zone's own wall clock", () => {
    const now = "2026-06-15T12:00:00Z";
    expect(one("Call tomorrow at 9am", "Asia/Tokyo", now).start).toBe("2026-06-16T09:00:00+09:00");
    expect(one("Call tomorrow at 9am", "UTC", now).start).toBe("2026-06-16T09:00:00Z");
    expect(one("Call tomorrow at 9am", "America/Los_Angeles", now).start).toBe(
      "2026-06-16T09:00:00-07:00",
    );
    expect(one("Call tomorrow at 9am", "Asia/Kolkata", now).start).toBe(
      "2026-06-16T09:00:00+05:30",
    );
  });

  it("knows 'today' in the zone, not in UTC", () => {
    // 23:30 in New York is already the next day in UTC.
    const now = "2026-06-15T23:30:00-04:00";
    expect(one("Pay rent tomorrow", NY, now).start).toBe("2026-06-16");
    expect(one("Pay rent tomorrow", "Europe/Berlin", now).start).toBe("2026-06-17");
  });

  it("honours a zone written in the text, placing the event in the caller's zone", () => {
    const event = one("Review at 3pm EST tomorrow", BERLIN, "2026-01-14T10:00:00+01:00");
    expect(event.start).toBe("2026-01-15T21:00:00+01:00");
  });

  it("does not depend on the server's own timezone", () => {
    const texts = [
      "Lunch with Sam next Tuesday at 1pm for 90 minutes",
      "Sync March 8 at 2:30am",
      "Offsite March 20 to March 22",
      "Call in 2 hours",
      "Standup every weekday at 9:15",
    ];
    const run = () => texts.map((text) => parse(text, NY, "2026-03-05T10:00:00-05:00"));
    const original = process.env.TZ;
    try {
      process.env.TZ = "UTC";
      const utc = run();
      for (const zone of [
        "Asia/Kolkata",
        "America/Los_Angeles",
        "Europe/Berlin",
        "Australia/Lord_Howe",
      ]) {
        process.env.TZ = zone;
        expect(run(), zone).toEqual(utc);
      }
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });
});

describe("dates, times, ranges and durations", () => {
  const now = "2026-03-05T10:00:00-05:00"; // Thursday

  it("reads the issue's example", () => {
    expect(one("lunch with Sam next Tuesday at 1pm for 90 minutes", NY, now)).toEqual({
      summary: "Lunch with Sam",
      start: "2026-03-10T13:00:00-04:00",
      end: "2026-03-10T14:30:00-04:00",
      allDay: false,
      timeZone: NY,
      warnings: [],
    });
  });

  it("lasts 60 minutes when only a start time is given (or the chosen default)", () => {
    expect(one("Dentist Friday 3pm", NY, now)).toMatchObject({
      start: "2026-03-06T15:00:00-05:00",
      end: "2026-03-06T16:00:00-05:00",
    });
    const short = parse("Dentist Friday 3pm", NY, now, { defaultDurationMinutes: 30 }).events[0]!;
    expect(short.end).toBe("2026-03-06T15:30:00-05:00");
  });

  const ranges: [string, string, string][] = [
    ["Meeting 4-5pm tomorrow", "2026-03-06T16:00:00-05:00", "2026-03-06T17:00:00-05:00"],
    ["Sync 10:00-11:30 on Monday", "2026-03-09T10:00:00-04:00", "2026-03-09T11:30:00-04:00"],
    ["Workshop from 9 to 11 on March 12", "2026-03-12T09:00:00-04:00", "2026-03-12T11:00:00-04:00"],
    [
      "Lunch between 12 and 1:30 on Friday",
      "2026-03-06T12:00:00-05:00",
      "2026-03-06T13:30:00-05:00",
    ],
    ["Party tomorrow 11pm-1am", "2026-03-06T23:00:00-05:00", "2026-03-07T01:00:00-05:00"],
    [
      "Conference from Monday 9am until Tuesday 5pm",
      "2026-03-09T09:00:00-04:00",
      "2026-03-10T17:00:00-04:00",
    ],
  ];
  for (const [text, start, end] of ranges) {
    it(`reads the range in "${text}"`, () => {
      expect(one(text, NY, now)).toMatchObject({ start, end, allDay: false });
    });
  }

  const durations: [string, string][] = [
    ["Call tomorrow at 10am for 90 minutes", "2026-03-06T11:30:00-05:00"],
    ["Call tomorrow at 10am for 2 hours", "2026-03-06T12:00:00-05:00"],
    ["Call tomorrow at 10am for an hour and a half", "2026-03-06T11:30:00-05:00"],
    ["Call tomorrow at 10am for half an hour", "2026-03-06T10:30:00-05:00"],
    ["Call tomorrow at 10am for 1h30m", "2026-03-06T11:30:00-05:00"],
    ["A 45-minute call tomorrow at 10am", "2026-03-06T10:45:00-05:00"],
  ];
  for (const [text, end] of durations) {
    it(`reads the duration in "${text}"`, () => {
      expect(one(text, NY, now)).toMatchObject({ start: "2026-03-06T10:00:00-05:00", end });
    });
  }

  it("reads relative dates", () => {
    expect(one("Review in two weeks", NY, now)).toMatchObject({
      start: "2026-03-19",
      allDay: true,
    });
    expect(one("Review tomorrow", NY, now).start).toBe("2026-03-06");
    expect(one("Check-in next Tuesday at 2pm", NY, now).start).toBe("2026-03-10T14:00:00-04:00");
    expect(one("Call in 2 hours", NY, now)).toMatchObject({
      start: "2026-03-05T12:00:00-05:00",
      end: "2026-03-05T13:00:00-05:00",
    });
  });

  it("takes a weekday or time already past today as the next one", () => {
    expect(one("Standup Thursday at 9am", NY, now).start).toBe("2026-03-12T09:00:00-04:00");
    expect(one("Standup Thursday at 11am", NY, now).start).toBe("2026-03-05T11:00:00-05:00");
    expect(one("Tea at 9am", NY, now).start).toBe("2026-03-06T09:00:00-05:00");
  });

  it("reads hours 1 to 6 without am/pm as afternoon, and says so", () => {
    const event = one("Call with Bob tomorrow at 3", NY, now);
    expect(event.start).toBe("2026-03-06T15:00:00-05:00");
    expect(event.warnings).toEqual(['Read "tomorrow at 3" as 3 PM; write "am" for a morning time']);
    expect(one("Flight tomorrow at 5am", NY, now).start).toBe("2026-03-06T05:00:00-05:00");
    expect(one("Flight tomorrow at 05:30", NY, now).start).toBe("2026-03-06T05:30:00-05:00");
  });

  it("makes all-day events for dates without a time, ends exclusive", () => {
    expect(one("Offsite on 2026-03-20", NY, now)).toMatchObject({
      start: "2026-03-20",
      end: "2026-03-21",
      allDay: true,
      timeZone: NY,
    });
    expect(one("Board review March 10 to March 12", NY, now)).toMatchObject({
      start: "2026-03-10",
      end: "2026-03-13",
      allDay: true,
    });
    expect(one("Trip March 20 for 3 days", NY, now)).toMatchObject({
      start: "2026-03-20",
      end: "2026-03-23",
    });
    expect(one("Holiday from Monday to Wednesday", NY, now)).toMatchObject({
      start: "2026-03-09",
      end: "2026-03-12",
    });
  });

  it("reads an ISO date-time as a wall-clock time in the zone", () => {
    expect(one("Deploy 2026-03-10T14:00", NY, now).start).toBe("2026-03-10T14:00:00-04:00");
  });
});

describe("details: title, location, attendees, description, recurrence", () => {
  const now = "2026-03-05T10:00:00-05:00";

  it("finds the location, the attendees and the title", () => {
    expect(
      one(
        "Schedule a meeting with alice@example.com and Bob@Example.com at Café Rouge tomorrow at 10am",
        NY,
        now,
      ),
    ).toMatchObject({
      summary: "Meeting",
      location: "Café Rouge",
      attendees: ["alice@example.com", "bob@example.com"],
    });
    expect(one("Dentist Friday 3pm in Room 4B", NY, now)).toMatchObject({
      summary: "Dentist",
      location: "Room 4B",
    });
    expect(one("Lunch with Sam at Café Rouge next Tuesday at 1pm", NY, now)).toMatchObject({
      summary: "Lunch with Sam",
      location: "Café Rouge",
    });
    expect(one("Kickoff tomorrow at 10am location: 5th floor, east wing", NY, now).location).toBe(
      "5th floor",
    );
  });

  it("takes a description after notes:", () => {
    expect(one("Kickoff tomorrow at 10am notes: bring the slides", NY, now)).toMatchObject({
      summary: "Kickoff",
      description: "bring the slides",
    });
  });

  it("drops lead-ins such as 'remind me to' and 'please book'", () => {
    expect(one("remind me to call mom tomorrow at 5pm", NY, now).summary).toBe("Call mom");
    expect(one("Please book the dentist for Friday at 9am", NY, now).summary).toBe("Dentist");
    expect(one("Can you add team drinks to my calendar tomorrow at 6pm", NY, now).summary).toBe(
      "Team drinks",
    );
  });

  const rules: [string, string, string][] = [
    ["Standup every Monday at 10am", "RRULE:FREQ=WEEKLY;BYDAY=MO", "2026-03-09T10:00:00-04:00"],
    [
      "Sync every Tuesday and Thursday at 9:30",
      "RRULE:FREQ=WEEKLY;BYDAY=TU,TH",
      "2026-03-10T09:30:00-04:00",
    ],
    [
      "Gym every weekday at 7am",
      "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
      "2026-03-06T07:00:00-05:00",
    ],
    ["Backup daily at 11pm", "RRULE:FREQ=DAILY", "2026-03-05T23:00:00-05:00"],
    [
      "1:1 every other week on Friday at 10am",
      "RRULE:FREQ=WEEKLY;INTERVAL=2",
      "2026-03-06T10:00:00-05:00",
    ],
    [
      "Reading group on Wednesdays at 6pm",
      "RRULE:FREQ=WEEKLY;BYDAY=WE",
      "2026-03-11T18:00:00-04:00",
    ],
    ["Rent every month on March 31", "RRULE:FREQ=MONTHLY", "2026-03-31"],
    [
      "Team lunch every Friday at noon 6 times",
      "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=6",
      "2026-03-06T12:00:00-05:00",
    ],
  ];
  for (const [text, rule, start] of rules) {
    it(`reads the recurrence in "${text}"`, () => {
      const event = one(text, NY, now);
      expect(event.recurrence).toEqual([rule]);
      expect(event.start).toBe(start);
    });
  }

  it("makes a repeating all-day event from a rule alone", () => {
    expect(one("Gym every Monday", NY, now)).toMatchObject({
      summary: "Gym",
      start: "2026-03-09",
      end: "2026-03-10",
      allDay: true,
      recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
    });
  });

  it("reads several events in one text, one per sentence or line", () => {
    const outcome = parse(
      "Dentist Friday 3pm; gym every weekday at 7am.\nBoard review March 10 to March 12",
      NY,
      now,
    );
    expect(outcome.events.map((e) => [e.summary, e.start])).toEqual([
      ["Dentist", "2026-03-06T15:00:00-05:00"],
      ["Gym", "2026-03-06T07:00:00-05:00"],
      ["Board review", "2026-03-10"],
    ]);
    expect(outcome.warnings).toEqual([]);
  });

  it("makes one event per date when a sentence names several, sharing the time", () => {
    const outcome = parse("Standup Tuesday and Thursday at 9am", NY, now);
    expect(outcome.events.map((e) => e.start)).toEqual([
      "2026-03-10T09:00:00-04:00",
      "2026-03-12T09:00:00-04:00",
    ]);
    expect(outcome.warnings[0]).toContain("names 2 dates");
  });
});

describe("text without a date, and bad input", () => {
  const now = "2026-03-05T10:00:00-05:00";

  it("gives no events and a warning", () => {
    expect(parse("buy milk and eggs", NY, now)).toEqual({
      events: [],
      warnings: ["No date or time found in the text, so no event was made"],
    });
  });

  it("names the sentences without a date next to ones with", () => {
    const outcome = parse("Lunch tomorrow at noon. Bring the slides.", NY, now);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.warnings).toEqual(['No date in "Bring the slides.", so it is not an event']);
  });

  it("names an untitled event 'Event'", () => {
    const event = one("tomorrow at 10am", NY, now);
    expect(event.summary).toBe("Event");
    expect(event.warnings[0]).toContain("No title");
  });

  it("refuses an unknown timezone", () => {
    expect(() => parse("lunch tomorrow", "Mars/Olympus_Mons", now)).toThrow(TimezoneError);
    expect(() => parse("lunch tomorrow", "+02:00", now)).toThrow(/Unknown timezone/);
    expect(isKnownTimezone("Europe/Berlin")).toBe(true);
    expect(isKnownTimezone("UTC")).toBe(true);
    expect(isKnownTimezone("europe/berlin")).toBe(true);
    expect(isKnownTimezone("Nowhere/Special")).toBe(false);
    expect(isKnownTimezone("")).toBe(false);
  });

  it("is deterministic", () => {
    const text = "Lunch with Sam next Tuesday at 1pm for 90 minutes; gym every Monday";
    expect(parse(text, NY, now)).toEqual(parse(text, NY, now));
  });
});

describe("readNow", () => {
  it("reads an instant with an offset, or a wall-clock time in the zone", () => {
    expect(readNow("2026-03-05T10:00:00Z", NY)?.toISOString()).toBe("2026-03-05T10:00:00.000Z");
    expect(readNow("2026-03-05T10:00", NY)?.toISOString()).toBe("2026-03-05T15:00:00.000Z");
    expect(readNow("2026-07-05", BERLIN)?.toISOString()).toBe("2026-07-04T22:00:00.000Z");
    expect(readNow("last week", NY)).toBeUndefined();
  });
});
