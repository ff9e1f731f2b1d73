import { createHash } from "node:crypto";
import type { calendar_v3 } from "@googleapis/calendar";
import { DateTime } from "luxon";
import { z } from "zod";
import { isKnownTimezone, type CalendarEvent } from "./parse.ts";
import type { PublicEvent } from "./schemas.ts";

/**
 * Events as callers send them (parsed text, or rows mapped from a sheet), checked one by one,
 * turned into Google Calendar bodies with deterministic ids, and Google's events turned back.
 */

const email = z.email({ error: "is not an e-mail address" });

/** One event to create: the shape `parse` answers with, or a row mapped from a sheet. */
export const eventInputSchema = z.strictObject({
  summary: z.string().trim().min(1).max(1024),
  start: z
    .string()
    .min(1)
    .describe(
      "ISO 8601: a date-time (without an offset it is read in `timeZone`) or a date (all-day)",
    ),
  end: z
    .string()
    .min(1)
    .optional()
    .describe("Like start; a date is the day after the last day (exclusive, as parse answers)"),
  durationMinutes: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 60)
    .optional()
    .describe("Used when there is no end; default 60 (1 day for all-day events)"),
  allDay: z.boolean().optional().describe("Take only the date of `start` and `end`"),
  timeZone: z.string().optional().describe("IANA timezone of this row; default: the request's"),
  location: z.string().max(1024).nullish(),
  description: z.string().max(8000).nullish(),
  attendees: z.array(email).max(100).optional(),
  recurrence: z
    .array(z.string().regex(/^(RRULE|EXRULE|RDATE|EXDATE)[:;]\S+$/, "must be an RFC 5545 line"))
    .max(10)
    .optional(),
});

export type EventInput = z.output<typeof eventInputSchema>;

export class EventInputError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "EventInputError";
    this.path = path;
  }
}

const base32hex = "0123456789abcdefghijklmnopqrstuv";

/** Bytes as Google's event-id alphabet (base32hex, lowercase: a-v and 0-9). */
function toBase32hex(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32hex[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += base32hex[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The Google event id of an event created by a token: the same caller and the same content give
 * the same id, so creating it again is refused by Google as a duplicate instead of doubling it.
 * "ollm" + 40 base32hex characters (200 bits of SHA-256); valid as Google requires ([a-v0-9], 5–1024).
 */
export function eventId(tokenId: string, event: CalendarEvent): string {
  const instant = (value: string) =>
    event.allDay ? value : DateTime.fromISO(value, { setZone: true }).toUTC().toISO();
  const content = JSON.stringify([
    "officellm-event-v1",
    tokenId,
    event.summary,
    event.allDay,
    instant(event.start),
    instant(event.end),
    event.location ?? "",
    event.description ?? "",
    [...(event.attendees ?? [])].map((a) => a.toLowerCase()).sort(),
    event.recurrence ?? [],
    // The zone matters to a repeating event (its occurrences follow that zone's clock).
    event.recurrence?.length && !event.allDay ? event.timeZone : "",
  ]);
  return `ollm${toBase32hex(createHash("sha256").update(content).digest()).slice(0, 40)}`;
}

function readTime(value: string, zone: string, path: string): { date: string } | { at: DateTime } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = DateTime.fromISO(value, { zone });
    if (!date.isValid) throw new EventInputError(path, "is not a valid date");
    return { date: value };
  }
  const at = DateTime.fromISO(value, { zone });
  if (!at.isValid)
    throw new EventInputError(path, "must be an ISO 8601 date (2026-03-10) or date-time");
  return { at: at.setZone(zone) };
}

function iso(at: DateTime): string {
  return at.startOf("second").toISO({ suppressMilliseconds: true })!;
}

/**
 * Checks one input event and settles its times in its timezone: all-day events get date ends
 * (exclusive), timed ones an end from `end`, `durationMinutes` or 60 minutes.
 */
export function normalizeEvent(input: EventInput, defaultZone: string): CalendarEvent {
  const zone = input.timeZone ?? defaultZone;
  if (!isKnownTimezone(zone))
    throw new EventInputError(
      input.timeZone ? "timeZone" : "timezone",
      `unknown timezone '${zone}'; use an IANA name such as Europe/Berlin`,
    );
  const start = readTime(input.start, zone, "start");
  const end = input.end === undefined ? undefined : readTime(input.end, zone, "end");
  const allDay = input.allDay ?? "date" in start;

  let startText: string;
  let endText: string;
  if (allDay) {
    const first = "date" in start ? start.date : start.at.toISODate()!;
    let after: string;
    if (end) {
      after = "date" in end ? end.date : end.at.toISODate()!;
      // A sheet's end date is often the last day itself; a one-day event either way.
      if (after === first) after = DateTime.fromISO(first).plus({ days: 1 }).toISODate()!;
      if (after < first) throw new EventInputError("end", "is before start");
    } else {
      const days = Math.max(1, Math.round((input.durationMinutes ?? 1440) / 1440));
      after = DateTime.fromISO(first).plus({ days }).toISODate()!;
    }
    startText = first;
    endText = after;
  } else {
    if ("date" in start)
      throw new EventInputError("start", "needs a time (or set allDay: true for a date)");
    let until: DateTime;
    if (end) {
      if ("date" in end)
        throw new EventInputError("end", "needs a time, as start has one (or set allDay: true)");
      until = end.at;
      if (until <= start.at) throw new EventInputError("end", "must be after start");
    } else {
      until = start.at.plus({ minutes: input.durationMinutes ?? 60 });
    }
    startText = iso(start.at);
    endText = iso(until);
  }
  return {
    summary: input.summary,
    start: startText,
    end: endText,
    allDay,
    timeZone: zone,
    ...(input.location ? { location: input.location } : {}),
    ...(input.description ? { description: input.description } : {}),
    ...(input.attendees?.length ? { attendees: input.attendees.map((a) => a.toLowerCase()) } : {}),
    ...(input.recurrence?.length ? { recurrence: input.recurrence } : {}),
  };
}

/** Google's start or end of an event: a date for all-day events, else a date-time and its zone. */
export function googleTime(
  value: string,
  allDay: boolean,
  zone: string,
): calendar_v3.Schema$EventDateTime {
  return allDay ? { date: value } : { dateTime: value, timeZone: zone };
}

/** The body Google receives to create the event. */
export function toGoogleEvent(id: string, event: CalendarEvent): calendar_v3.Schema$Event {
  return {
    id,
    summary: event.summary,
    start: googleTime(event.start, event.allDay, event.timeZone),
    end: googleTime(event.end, event.allDay, event.timeZone),
    ...(event.location ? { location: event.location } : {}),
    ...(event.description ? { description: event.description } : {}),
    ...(event.attendees?.length ? { attendees: event.attendees.map((email) => ({ email })) } : {}),
    ...(event.recurrence?.length ? { recurrence: event.recurrence } : {}),
  };
}

/** A Google event as the API answers with it. */
export function fromGoogleEvent(event: calendar_v3.Schema$Event): PublicEvent {
  const allDay = Boolean(event.start?.date);
  return {
    id: event.id ?? "",
    summary: event.summary ?? "",
    start: event.start?.dateTime ?? event.start?.date ?? "",
    end: event.end?.dateTime ?? event.end?.date ?? "",
    allDay,
    timeZone: event.start?.timeZone ?? null,
    location: event.location ?? null,
    description: event.description ?? null,
    attendees: (event.attendees ?? []).flatMap((a) => (a.email ? [a.email] : [])),
    recurrence: event.recurrence ?? [],
    status: event.status ?? null,
    htmlLink: event.htmlLink ?? null,
  };
}

/** A normalized event as it would be created (for dry runs). */
export function plannedEvent(id: string, event: CalendarEvent): PublicEvent {
  return {
    id,
    summary: event.summary,
    start: event.start,
    end: event.end,
    allDay: event.allDay,
    timeZone: event.allDay ? null : event.timeZone,
    location: event.location ?? null,
    description: event.description ?? null,
    attendees: event.attendees ?? [],
    recurrence: event.recurrence ?? [],
    status: null,
    htmlLink: null,
  };
}
