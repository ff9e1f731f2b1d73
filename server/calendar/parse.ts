import { createRequire } from "node:module";
import type { ParsedComponents, ParsedResult } from "chrono-node";
import type * as ChronoEnglish from "chrono-node/en";
import { DateTime, IANAZone } from "luxon";

/**
 * Text to calendar events, deterministically and offline: chrono-node finds the dates and times,
 * luxon places them in the caller's IANA timezone, so every offset is the one in force on that
 * date (daylight saving included). Pure: the same text, timezone and `now` give the same events.
 *
 * What it reads, sentence by sentence (a sentence, line or `;`-separated part is one event):
 * - dates and times: "tomorrow at 3pm", "next Tuesday 1pm", "March 12", "in two weeks", "2026-03-10T14:00";
 * - ranges "4-5pm", "from 9 to 11", "Monday to Wednesday"; durations "for 90 minutes", "for 2 days";
 * - a time without an end lasts `defaultDurationMinutes` (60); a date without a time is all-day,
 *   its end the day after (exclusive, as Google Calendar stores it);
 * - hours 1 to 6 without am/pm are read as afternoon ("lunch at 1", "from 2 to 4"), with a warning;
 * - attendees: e-mail addresses; location: "at Café Rouge", "in Room 4B" (capitalised), "location: …";
 *   description: "notes: …" (also agenda, details, description);
 * - recurrence: "every Monday", "every Tuesday and Thursday", "every weekday", "daily", "weekly",
 *   "every other week", "every 3 days", "monthly", "yearly", "Mondays"; "5 times" or
 *   "for 6 weeks" with a weekly rule becomes a COUNT.
 */

let english: typeof ChronoEnglish | undefined;

/**
 * chrono-node's English parser, the one its default `parse` uses, without the package's other
 * locales; loaded on the first parse, not at start, since many servers never parse dates
 * (docs/performance.md).
 */
function chrono(): typeof ChronoEnglish {
  english ??= createRequire(import.meta.url)("chrono-node/en") as typeof ChronoEnglish;
  return english;
}

export interface CalendarEvent {
  summary: string;
  /** ISO 8601: a date-time with the offset in force on that date, or YYYY-MM-DD when all-day. */
  start: string;
  /** Like `start`; for all-day events the day after the last day (exclusive). */
  end: string;
  allDay: boolean;
  /** The IANA timezone the event's times belong to. */
  timeZone: string;
  location?: string;
  description?: string;
  attendees?: string[];
  /** RFC 5545 lines, e.g. "RRULE:FREQ=WEEKLY;BYDAY=MO". */
  recurrence?: string[];
}

export interface ParseOutcome {
  events: CalendarEvent[];
  warnings: string[];
}

export interface ParseOptions {
  /** An IANA timezone name, e.g. "Europe/Berlin". */
  timezone: string;
  /** "Now", which fixes what "today" and "tomorrow" mean. */
  now: Date;
  /** Length of an event with a start time and no end. Default 60. */
  defaultDurationMinutes?: number;
}

/** True for a timezone name luxon (and so the platform's ICU data) knows, such as "America/New_York". */
export function isKnownTimezone(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name) && IANAZone.isValidZone(name);
}

export class TimezoneError extends Error {
  constructor(name: string) {
    super(`Unknown timezone '${name}': use an IANA name such as Europe/Berlin or America/New_York`);
    this.name = "TimezoneError";
  }
}

/**
 * Reads `now` (ISO 8601): with an offset or Z it is that instant; without one, a wall-clock time
 * in `timezone`. Undefined when it is not ISO 8601.
 */
export function readNow(now: string, timezone: string): Date | undefined {
  const parsed = DateTime.fromISO(now, { zone: timezone });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}

const dayCodes = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
type DayCode = (typeof dayCodes)[number];

const dayPattern =
  "(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)";

const pluralDay = "(?:mon|tues|wednes|thurs|fri|satur|sun)days";

/** Luxon's weekday (1 = Monday) of a day name or abbreviation. */
function dayCode(name: string): DayCode {
  const prefix = name.toLowerCase().slice(0, 2);
  const index = ["mo", "tu", "we", "th", "fr", "sa", "su"].indexOf(prefix);
  return dayCodes[index]!;
}

const numberWords: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};

function readNumber(word: string): number {
  const lower = word.toLowerCase().replace(",", ".");
  return numberWords[lower] ?? Number(lower);
}

const numberPattern =
  "(\\d+(?:[.,]\\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)";

/** A piece of the text that was understood, and is therefore not part of the title. */
interface Span {
  index: number;
  length: number;
}

/** A sentence of the text, where its characters are blanked out as they are understood. */
class Segment {
  readonly original: string;
  #masked: string;

  constructor(text: string) {
    this.original = text;
    this.#masked = text;
  }

  get masked(): string {
    return this.#masked;
  }

  /** Marks a span as understood; the title keeps a marker there to tidy connecting words. */
  take(span: Span): void {
    if (span.length <= 0) return;
    this.#masked =
      this.#masked.slice(0, span.index) +
      "\uE000".repeat(span.length) +
      this.#masked.slice(span.index + span.length);
  }

  /** Finds `pattern` in what is not yet understood, takes the match and returns it. */
  takeMatch(pattern: RegExp): RegExpExecArray | undefined {
    const match = pattern.exec(this.#masked);
    if (match) this.take({ index: match.index, length: match[0].length });
    return match ?? undefined;
  }

  /** Text for chrono: understood parts as spaces, so indexes stay those of the original. */
  forDates(): string {
    return this.#masked.replace(/\uE000/g, " ");
  }
}

/** Sentences, lines and `;`-separated parts, each a candidate event. */
function splitSegments(text: string): string[] {
  return text
    .split(/\r?\n|;|(?<=[.!?])\s+(?=[\p{Lu}\d"'“(])/u)
    .map((part) => part.trim())
    .filter((part) => /[\p{L}\d]/u.test(part));
}

interface Recurrence {
  rule: string;
  /** Days the rule repeats on, when it names them. */
  days: DayCode[];
  weekly: boolean;
}

function readRecurrence(segment: Segment): Recurrence | undefined {
  const days = `${dayPattern}s?`;
  const dayList = `(${days}(?:\\s*(?:,|&|and|\\/)\\s*${days})*)`;
  const every = "(?:every|each)";
  const interval = (other: string | undefined, n?: string) =>
    other ? ";INTERVAL=2" : n && readNumber(n) > 1 ? `;INTERVAL=${readNumber(n)}` : "";

  let match = segment.takeMatch(new RegExp(`\\b${every}\\s+(other\\s+)?${dayList}\\b`, "i"));
  if (match) return weeklyOn(match[2]!, interval(match[1]));
  match = segment.takeMatch(
    /\b(?:every|each)\s+(?:week\s*day|business\s+day|working\s+day)s?\b|\b(?:on\s+)?weekdays\b/i,
  );
  if (match) return weeklyOn("MO,TU,WE,TH,FR", "");
  match = segment.takeMatch(
    new RegExp(`\\b(?:on\\s+)?(${pluralDay}(?:\\s*(?:,|&|and)\\s*${pluralDay})*)\\b`, "i"),
  );
  if (match) return weeklyOn(match[1]!, "");
  match = segment.takeMatch(
    new RegExp(
      `\\b${every}\\s+(other\\s+)?(?:${numberPattern}\\s+)?(day|week|month|year)s?\\b`,
      "i",
    ),
  );
  if (match) {
    const freq = { day: "DAILY", week: "WEEKLY", month: "MONTHLY", year: "YEARLY" }[
      match[3]!.toLowerCase() as "day" | "week" | "month" | "year"
    ];
    return {
      rule: `RRULE:FREQ=${freq}${interval(match[1], match[2])}`,
      days: [],
      weekly: freq === "WEEKLY",
    };
  }
  match = segment.takeMatch(/\b(daily|weekly|monthly|yearly|annually)\b/i);
  if (match) {
    const word = match[1]!.toLowerCase();
    const freq = word === "annually" ? "YEARLY" : word.toUpperCase();
    return { rule: `RRULE:FREQ=${freq}`, days: [], weekly: freq === "WEEKLY" };
  }
  return undefined;

  function weeklyOn(list: string, extra: string): Recurrence {
    const codes =
      list.includes(",") && /^[A-Z,]+$/.test(list)
        ? (list.split(",") as DayCode[])
        : [...list.matchAll(new RegExp(dayPattern, "gi"))].map((m) => dayCode(m[0]));
    const unique = dayCodes.filter((code) => codes.includes(code));
    return {
      rule: `RRULE:FREQ=WEEKLY;BYDAY=${unique.join(",")}${extra}`,
      days: unique,
      weekly: true,
    };
  }
}

/** "5 times", or "for 6 weeks" on a weekly rule: how many occurrences. */
function readCount(segment: Segment, recurrence: Recurrence): number | undefined {
  let match = segment.takeMatch(new RegExp(`\\b${numberPattern}\\s+(?:times|occurrences)\\b`, "i"));
  if (match) return readNumber(match[1]!);
  if (recurrence.weekly && recurrence.days.length <= 1) {
    match = segment.takeMatch(
      new RegExp(`\\bfor\\s+(?:the\\s+next\\s+)?${numberPattern}\\s+weeks?\\b`, "i"),
    );
    if (match) return readNumber(match[1]!);
  }
  return undefined;
}

type Duration = { minutes: number } | { days: number };

function readDuration(segment: Segment): Duration | undefined {
  const unit = "(minutes?|mins?|m|hours?|hrs?|h|days?)";
  const half = "(?:\\s+and\\s+a\\s+half)?";
  let match = segment.takeMatch(/\bfor\s+(?:a\s+)?half\s+(?:an?\s+)?hour\b/i);
  if (match) return { minutes: 30 };
  match = segment.takeMatch(/\bfor\s+(\d{1,2})\s*h(?:ours?)?\s*(\d{1,2})\s*m(?:in(?:ute)?s?)?\b/i);
  if (match) return { minutes: Number(match[1]) * 60 + Number(match[2]) };
  match = segment.takeMatch(
    new RegExp(
      `\\bfor\\s+(?:about\\s+|around\\s+)?${numberPattern}\\s*(?:-\\s*)?${unit}${half}\\b`,
      "i",
    ),
  );
  match ??= segment.takeMatch(
    new RegExp(`\\b(\\d+(?:[.,]\\d+)?)[-\\s](minute|min|hour|day)(?=\\s+\\p{L})${half}`, "iu"),
  );
  if (!match) return undefined;
  const amount = readNumber(match[1]!) + (/and\s+a\s+half/i.test(match[0]) ? 0.5 : 0);
  const what = match[2]!.toLowerCase();
  if (what.startsWith("d")) return { days: Math.max(1, Math.round(amount)) };
  const minutes = what.startsWith("h") ? amount * 60 : amount;
  return { minutes: Math.round(minutes) };
}

function readDescription(segment: Segment): string | undefined {
  const match = segment.takeMatch(/\b(?:notes?|description|agenda|details)\s*:\s*(.+)$/i);
  return match?.[1]!.trim() || undefined;
}

const emailPattern = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

function readAttendees(segment: Segment): string[] {
  const found: string[] = [];
  for (const match of segment.masked.matchAll(emailPattern)) {
    found.push(match[0].toLowerCase());
    segment.take({ index: match.index, length: match[0].length });
  }
  return [...new Set(found)];
}

function readLocation(segment: Segment): string | undefined {
  const labelled = segment.takeMatch(/\b(?:location|where|place)\s*:\s*([^,\uE000]+)/i);
  if (labelled) return labelled[1]!.trim() || undefined;
  const word = "(?:\\p{Lu}|\\d+\\p{L}?\\b)[\\p{L}\\p{N}'’&.\\-/#]*";
  const joiner = "(?:of|de|du|la|le|the|and|&|on|am|an)";
  const match = segment.takeMatch(
    new RegExp(
      `(?<=^|[\\s,(])(?:at|in|@)\\s+((?:the\\s+)?${word}(?:\\s+(?:${word}|${joiner}(?=\\s+${word})))*)`,
      "u",
    ),
  );
  return match?.[1]!.trim().replace(/[.,]+$/, "") || undefined;
}

const leadIn =
  /^(?:(?:please|hey|ok|okay)[,\s]+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?(?:please\s+)?(?:(?:schedule|book|add|create|set\s+up|put|plan|arrange|organi[sz]e|make|block(?:\s+out)?|reserve|insert|remind\s+me\s+(?:to|about|of)|remind\s+me)\s+)(?:(?:an?|the|my)\s+)?/i;

function readSummary(segment: Segment): string {
  let text = segment.masked;
  const connector =
    "(?:and|with|at|on|from|for|by|in|starting|until|till|to|this|next|the|every|each|of|,|&|-|–|@|\\()";
  // Connecting words right before or after an understood part belonged to it.
  for (let i = 0; i < 4; i++) {
    text = text
      .replace(new RegExp(`(?:(?<=\\s)|^)(?:${connector}\\s*)+(?=\\uE000)`, "giu"), "")
      .replace(new RegExp(`(?<=\\uE000)\\s*(?:\\)|,)`, "gu"), "");
  }
  text = text
    .replace(/\uE000+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(leadIn, "")
    .replace(/\b(?:to|on|in|into)\s+(?:my|the)\s+calendar\b/i, "")
    .replace(new RegExp(`(?:\\s+|^)(?:${connector}|please)\\s*$`, "i"), "")
    .replace(/^[\s,:;–-]+|[\s,:;.!?–-]+$/g, "")
    .replace(/^["“'](.*)["”']$/, "$1")
    .trim();
  // Tidy up again after removing a trailing connector.
  text = text.replace(new RegExp(`(?:\\s+|^)(?:${connector})\\s*$`, "i"), "").trim();
  return text ? text[0]!.toUpperCase() + text.slice(1) : "";
}

/** A date's parts, as chrono found them. */
type Parts = ParsedComponents;

/** A wall-clock date and time, before it is placed in a timezone. */
interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

interface Context {
  zone: string;
  now: DateTime;
  defaultMinutes: number;
  warnings: string[];
  /** The sentence being read. */
  source: string;
}

/** What the text said where chrono found a result (chrono sees a rewritten copy). */
function said(result: ParsedResult, ctx: Context): string {
  return ctx.source.slice(result.index, result.index + result.text.length).trim();
}

function wallOf(parts: Parts): Wall {
  return {
    year: parts.get("year")!,
    month: parts.get("month")!,
    day: parts.get("day")!,
    hour: parts.get("hour") ?? 0,
    minute: parts.get("minute") ?? 0,
  };
}

/** Whether chrono's own instant is right: relative times ("in 2 hours") and explicit zones ("3pm EST"). */
function isInstant(result: ParsedResult, parts: Parts): boolean {
  if (result.tags().has("result/relativeDateAndTime")) return true;
  const explicitZone = /\b(?:[A-Z]{2,4}T|UTC|GMT|Z)\b|[+-]\d{2}:?\d{2}\b/.test(result.text);
  return explicitZone && parts.isCertain("timezoneOffset");
}

/** The wall-clock time in the zone, with warnings for times a DST change skips or repeats. */
function placeInZone(wall: Wall, ctx: Context): DateTime {
  const placed = DateTime.fromObject(wall, { zone: ctx.zone });
  const label = `${wall.hour}:${String(wall.minute).padStart(2, "0")} on ${placed.toISODate()}`;
  if (placed.hour !== wall.hour || placed.minute !== wall.minute) {
    ctx.warnings.push(
      `${label} does not exist in ${ctx.zone} (the clocks go forward); used ${placed.toFormat("H:mm ZZ")}`,
    );
    return placed;
  }
  const possible = placed.getPossibleOffsets();
  if (possible.length > 1) {
    const first = possible.reduce((a, b) => (a.toMillis() <= b.toMillis() ? a : b));
    ctx.warnings.push(
      `${label} happens twice in ${ctx.zone} (the clocks go back); used the first, ${first.toFormat("ZZ")}`,
    );
    return first;
  }
  return placed;
}

/** Hours 1 to 6 without am/pm ("lunch at 1", "from 2 to 4") are read as afternoon. */
function afternoon(wall: Wall, parts: Parts, text: string, ctx: Context): Wall {
  const hour = wall.hour;
  if (hour < 1 || hour > 6 || !parts.isCertain("hour") || parts.isCertain("meridiem")) return wall;
  if (/\b0\d[:.h]?\d{2}\b/.test(text) || /\b(?:am|a\.m\.|morning)\b/i.test(text)) return wall;
  ctx.warnings.push(`Read "${text.trim()}" as ${hour} PM; write "am" for a morning time`);
  return { ...wall, hour: hour + 12 };
}

function hasDate(parts: Parts): boolean {
  return parts.isCertain("day") || parts.isCertain("weekday") || parts.isCertain("month");
}

function iso(dateTime: DateTime): string {
  return dateTime.toISO({ suppressMilliseconds: true })!;
}

/** The first day on or after `from` whose weekday is one of `days`. */
function nextOn(from: DateTime, days: DayCode[]): DateTime {
  for (let i = 0; i < 7; i++) {
    const candidate = from.plus({ days: i });
    if (days.includes(dayCodes[candidate.weekday - 1]!)) return candidate;
  }
  return from;
}

interface Timing {
  allDay: boolean;
  start: DateTime;
  /** Exclusive end; for all-day events the day after the last day. */
  end: DateTime;
}

function allDayTiming(
  result: ParsedResult,
  duration: Duration | undefined,
  recurrence: Recurrence | undefined,
  ctx: Context,
): Timing {
  const { year, month, day } = wallOf(result.start);
  let start: DateTime = DateTime.fromObject({ year, month, day }, { zone: ctx.zone });
  if (recurrence?.days.length) start = nextOn(start, recurrence.days);
  let end: DateTime;
  if (result.end && hasDate(result.end)) {
    const last = wallOf(result.end);
    end = DateTime.fromObject(
      { year: last.year, month: last.month, day: last.day },
      { zone: ctx.zone },
    ).plus({ days: 1 });
    if (end <= start) end = start.plus({ days: 1 });
  } else if (duration && "days" in duration) {
    end = start.plus({ days: duration.days });
  } else {
    if (duration)
      ctx.warnings.push(`"${said(result, ctx)}" has no start time, so the event lasts all day`);
    end = start.plus({ days: 1 });
  }
  return { allDay: true, start, end };
}

/** Start and end of one chrono result; `timeFrom` lends its time to a result without one. */
function timing(
  result: ParsedResult,
  timeFrom: ParsedResult | undefined,
  duration: Duration | undefined,
  recurrence: Recurrence | undefined,
  ctx: Context,
): Timing {
  const timed = result.start.isCertain("hour") ? result : timeFrom;
  if (!timed) return allDayTiming(result, duration, recurrence, ctx);

  let startAt: DateTime;
  if (timed === result && isInstant(result, result.start)) {
    startAt = DateTime.fromJSDate(result.start.date(), { zone: ctx.zone }).startOf("minute");
  } else {
    const time = afternoon(wallOf(timed.start), timed.start, said(timed, ctx), ctx);
    const date = wallOf(result.start);
    startAt = placeInZone({ ...date, hour: time.hour, minute: time.minute }, ctx);
    // A weekday or a bare time already past means the next one.
    if (startAt < ctx.now && !result.start.isCertain("day")) {
      if (result.start.isCertain("weekday")) startAt = startAt.plus({ weeks: 1 });
      else if (!hasDate(result.start)) startAt = startAt.plus({ days: 1 });
    }
  }
  if (recurrence?.days.length) {
    const at = (day: DateTime) =>
      placeInZone(
        {
          year: day.year,
          month: day.month,
          day: day.day,
          hour: startAt.hour,
          minute: startAt.minute,
        },
        ctx,
      );
    let day = nextOn(startAt.startOf("day"), recurrence.days);
    if (at(day) < ctx.now) day = nextOn(day.plus({ days: 1 }), recurrence.days);
    startAt = at(day);
  }

  let endAt: DateTime | undefined;
  const endParts = timed.end;
  if (endParts?.isCertain("hour")) {
    if (timed === result && isInstant(result, endParts)) {
      endAt = DateTime.fromJSDate(endParts.date(), { zone: ctx.zone }).startOf("minute");
    } else {
      const wall = afternoon(wallOf(endParts), endParts, said(timed, ctx), ctx);
      // The end falls as many days after the start as the text says (a range is one day unless it names two).
      const days = (w: Wall) => Date.UTC(w.year, w.month - 1, w.day) / 86_400_000;
      let apart = timed === result ? days(wall) - days(wallOf(result.start)) : 0;
      const onDay = (n: number) => {
        const date = startAt.plus({ days: n });
        return placeInZone(
          {
            year: date.year,
            month: date.month,
            day: date.day,
            hour: wall.hour,
            minute: wall.minute,
          },
          ctx,
        );
      };
      // chrono moves "12 to 1:30" to the next day; read as 1:30 PM it ends the same day.
      if (apart === 1 && wall.hour !== endParts.get("hour") && onDay(0) > startAt) apart = 0;
      endAt = onDay(apart);
    }
    if (endAt <= startAt) endAt = endAt.plus({ days: 1 });
    if (duration)
      ctx.warnings.push(`"${said(timed, ctx)}" gives an end, so the duration was not used`);
  } else if (duration) {
    endAt =
      "minutes" in duration
        ? startAt.plus({ minutes: duration.minutes })
        : startAt.plus({ days: duration.days });
  }
  return {
    allDay: false,
    start: startAt,
    end: endAt ?? startAt.plus({ minutes: ctx.defaultMinutes }),
  };
}

/** A result that is only a month name ("May"), next to other dates, is more likely a word. */
function isLoneMonth(result: ParsedResult): boolean {
  return (
    result.start.isCertain("month") &&
    !result.start.isCertain("day") &&
    /^[a-z]+$/i.test(result.text.trim())
  );
}

function parseSegment(text: string, ctx: Context): CalendarEvent[] {
  ctx.source = text;
  const segment = new Segment(text);
  const description = readDescription(segment);
  const attendees = readAttendees(segment);
  const recurrence = readRecurrence(segment);
  const count = recurrence ? readCount(segment, recurrence) : undefined;
  const duration = readDuration(segment);

  const forDates = segment
    .forDates()
    // chrono reads "between 2 and 3pm" as two times; as "from 2 to 3pm" it is a range.
    .replace(
      /\bbetween(\s+\S+\s+)and(\s)/gi,
      (_m, middle: string, after: string) => `from   ${middle}to ${after}`,
    );
  let results = chrono().parse(
    forDates,
    { instant: ctx.now.toJSDate(), timezone: ctx.now.offset },
    { forwardDate: true },
  );
  if (results.length > 1) results = results.filter((result) => !isLoneMonth(result));
  for (const result of results) segment.take({ index: result.index, length: result.text.length });

  if (results.length === 0 && recurrence) {
    // "Gym every Monday": the rule alone says when.
    results = chrono().parse("today", { instant: ctx.now.toJSDate(), timezone: ctx.now.offset });
  }
  if (results.length === 0) return [];

  const location = readLocation(segment);
  let summary = readSummary(segment);
  if (!summary) {
    summary = "Event";
    ctx.warnings.push(`No title in "${text}"; called it "Event"`);
  }
  if (results.length > 1)
    ctx.warnings.push(`"${text}" names ${results.length} dates; made one event for each`);

  return results.map((result, i) => {
    const timeFrom = result.start.isCertain("hour")
      ? undefined
      : results.slice(i + 1).find((other) => other.start.isCertain("hour"));
    const when = timing(result, timeFrom, duration, recurrence, ctx);
    const rule = recurrence ? recurrence.rule + (count ? `;COUNT=${count}` : "") : undefined;
    return {
      summary,
      start: when.allDay ? when.start.toISODate()! : iso(when.start),
      end: when.allDay ? when.end.toISODate()! : iso(when.end),
      allDay: when.allDay,
      timeZone: ctx.zone,
      ...(location ? { location } : {}),
      ...(description ? { description } : {}),
      ...(attendees.length ? { attendees } : {}),
      ...(rule ? { recurrence: [rule] } : {}),
    };
  });
}

/** Parses free text into events; text without a date gives no events and a warning. */
export function parseEvents(text: string, options: ParseOptions): ParseOutcome {
  if (!isKnownTimezone(options.timezone)) throw new TimezoneError(options.timezone);
  const ctx: Context = {
    zone: options.timezone,
    now: DateTime.fromJSDate(options.now, { zone: options.timezone }),
    defaultMinutes: options.defaultDurationMinutes ?? 60,
    warnings: [],
    source: "",
  };
  const events: CalendarEvent[] = [];
  const undated: string[] = [];
  for (const segment of splitSegments(text)) {
    const found = parseSegment(segment, ctx);
    if (found.length === 0) undated.push(segment);
    events.push(...found);
  }
  if (events.length === 0) {
    ctx.warnings.push("No date or time found in the text, so no event was made");
  } else {
    for (const segment of undated)
      ctx.warnings.push(`No date in "${segment}", so it is not an event`);
  }
  return { events, warnings: [...new Set(ctx.warnings)] };
}
