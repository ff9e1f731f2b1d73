import { DateTime } from "luxon";
import type { CallContext, CompletionService } from "../llm/completion-service.ts";
import { toldFailure } from "../llm/errors.ts";
import { eventInputSchema, normalizeEvent } from "./events.ts";
import { parseEvents, type CalendarEvent, type ParseOutcome } from "./parse.ts";
import { readToDo, type ToDo } from "./todo.ts";

/**
 * The model's help with parsing and routing, when a real provider is configured (the offline demo
 * model is never asked). The deterministic parser stays the judge of dates: where the model's
 * dates disagree with it, the parser's are kept and a warning says so.
 */

export interface AssistDeps {
  completions: CompletionService;
  context: CallContext;
}

export interface AssistedParse extends ParseOutcome {
  /** The model that refined the parse; null when only the date parser ran. */
  assistedBy: string | null;
}

export type Route = "calendar" | "completion";

const nullableString = { type: ["string", "null"] };

const eventsSchema = {
  type: "array",
  items: {
    type: "object",
    properties: {
      summary: { type: "string", description: "A short title, without the date or time" },
      start: {
        type: "string",
        description: "Local wall-clock time YYYY-MM-DDTHH:mm, or YYYY-MM-DD when all-day",
      },
      end: {
        ...nullableString,
        description:
          "Like start; null when the text gives no end. All-day: the day after the last day",
      },
      allDay: { type: "boolean" },
      location: nullableString,
      description: nullableString,
      attendees: { type: "array", items: { type: "string" }, description: "E-mail addresses" },
      recurrence: {
        ...nullableString,
        description: "One RRULE line, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO",
      },
    },
    required: [
      "summary",
      "start",
      "end",
      "allDay",
      "location",
      "description",
      "attendees",
      "recurrence",
    ],
    additionalProperties: false,
  },
};

function instructions(timezone: string, now: Date, withRoute: boolean): string {
  const local = DateTime.fromJSDate(now, { zone: timezone });
  return [
    "You turn text into Google Calendar events.",
    `It is now ${local.toFormat("yyyy-MM-dd'T'HH:mm")} (${local.toFormat("cccc")}) in the timezone ${timezone}.`,
    "Give every event the text asks for: times are local wall-clock times in that timezone, without offsets.",
    "Use null where the text says nothing. Text without a date or time gives no events.",
    ...(withRoute
      ? [
          'Also decide the route: "calendar" when the text asks to put something in a calendar (a meeting, ' +
            'appointment, reminder, event); "completion" when it asks a question or wants text written or ' +
            "answered, even if it mentions dates.",
        ]
      : []),
    "Answer with JSON only.",
  ].join("\n");
}

interface ModelEvent {
  summary: string;
  start: string;
  end: string | null;
  allDay: boolean;
  location: string | null;
  description: string | null;
  attendees: string[];
  recurrence: string | null;
}

interface ModelAnswer {
  route?: Route;
  events: ModelEvent[];
  model: string;
}

async function askModel(
  text: string,
  timezone: string,
  now: Date,
  withRoute: boolean,
  deps: AssistDeps,
): Promise<ModelAnswer> {
  const schema = {
    type: "object",
    properties: {
      ...(withRoute ? { route: { type: "string", enum: ["calendar", "completion"] } } : {}),
      events: eventsSchema,
    },
    required: withRoute ? ["route", "events"] : ["events"],
    additionalProperties: false,
  };
  const outcome = await deps.completions.complete(
    {
      prompt: text,
      system: instructions(timezone, now, withRoute),
      temperature: 0,
      responseFormat: { type: "json", schema },
    },
    deps.context,
  );
  const answer = outcome.json as { route?: Route; events?: ModelEvent[] } | undefined;
  return { route: answer?.route, events: answer?.events ?? [], model: outcome.model };
}

/** The model's events, checked and placed in the zone; unusable ones become warnings. */
function settle(events: ModelEvent[], timezone: string, warnings: string[]): CalendarEvent[] {
  const settled: CalendarEvent[] = [];
  for (const event of events) {
    const input = eventInputSchema.safeParse({
      summary: event.summary,
      start: event.start,
      ...(event.end ? { end: event.end } : {}),
      allDay: event.allDay,
      timeZone: timezone,
      ...(event.location ? { location: event.location } : {}),
      ...(event.description ? { description: event.description } : {}),
      attendees: event.attendees.filter((a) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a)),
      ...(event.recurrence ? { recurrence: [event.recurrence] } : {}),
    });
    try {
      if (!input.success) throw new Error(input.error.issues[0]!.message);
      settled.push(normalizeEvent(input.data, timezone));
    } catch (error) {
      warnings.push(
        `The model's event "${event.summary}" was unusable (${error instanceof Error ? error.message : "invalid"}); left out`,
      );
    }
  }
  return settled;
}

function sameTime(a: CalendarEvent, b: CalendarEvent): boolean {
  if (a.allDay !== b.allDay) return false;
  if (a.allDay) return a.start === b.start && a.end === b.end;
  const ms = (value: string) => DateTime.fromISO(value).toMillis();
  return ms(a.start) === ms(b.start) && ms(a.end) === ms(b.end);
}

const when = (event: CalendarEvent) => `${event.start} – ${event.end}`;

/** Joins the model's events with the parser's: the model's details, the parser's dates. */
function crossCheck(
  parsed: ParseOutcome,
  modelEvents: CalendarEvent[],
  warnings: string[],
): CalendarEvent[] {
  if (modelEvents.length === 0) {
    if (parsed.events.length > 0)
      warnings.push("The model found no event; these are the date parser's");
    return parsed.events;
  }
  if (parsed.events.length === 0) {
    warnings.push("The date parser found no date; check the model's dates");
    return modelEvents;
  }
  if (modelEvents.length === parsed.events.length) {
    return modelEvents.map((model, i) => {
      const own = parsed.events[i]!;
      if (!sameTime(model, own))
        warnings.push(
          `The model read "${model.summary}" as ${when(model)}, the date parser as ${when(own)}; kept the date parser's`,
        );
      return {
        ...model,
        start: own.start,
        end: own.end,
        allDay: own.allDay,
        timeZone: own.timeZone,
        ...(model.recurrence || own.recurrence
          ? { recurrence: model.recurrence ?? own.recurrence! }
          : {}),
        ...(model.attendees || own.attendees
          ? { attendees: [...new Set([...(model.attendees ?? []), ...(own.attendees ?? [])])] }
          : {}),
      };
    });
  }
  warnings.push(
    `The model found ${modelEvents.length} events, the date parser ${parsed.events.length}`,
  );
  for (const model of modelEvents) {
    if (!parsed.events.some((own) => sameTime(model, own)))
      warnings.push(
        `The date parser could not confirm the time of "${model.summary}" (${when(model)})`,
      );
  }
  return modelEvents;
}

/** Whether the model may be asked: a real provider is configured. */
export function modelAvailable(completions: CompletionService): boolean {
  return !completions.registry.demoOnly;
}

function failure(error: unknown): string {
  return toldFailure(error)?.message ?? "the call failed";
}

/** Parses with the date parser, refined by the model when one is configured. */
export async function assistedParse(
  text: string,
  options: { timezone: string; now: Date },
  deps: AssistDeps,
): Promise<AssistedParse> {
  const parsed = parseEvents(text, options);
  if (!modelAvailable(deps.completions)) return { ...parsed, assistedBy: null };
  try {
    const answer = await askModel(text, options.timezone, options.now, false, deps);
    const warnings = [...parsed.warnings];
    const events = crossCheck(parsed, settle(answer.events, options.timezone, warnings), warnings);
    return { events, warnings, assistedBy: answer.model };
  } catch (error) {
    if (deps.context.signal.aborted) throw error;
    return {
      ...parsed,
      warnings: [...parsed.warnings, `The model could not refine the parse (${failure(error)})`],
      assistedBy: null,
    };
  }
}

const eventWords =
  /\b(?:meet(?:s|ing|ings)?|lunch|dinner|breakfast|brunch|coffee|drinks|call|schedule|book|remind(?:er)?|appointment|appt|sync|stand-?up|interview|review|demo|workshop|session|party|event|conference|visit|dentist|doctor|flight|class|lesson|catch[- ]?up|1:1|one-on-one|webinar|presentation|deadline|birthday|trip|vacation|holiday|offsite|gym|training|seminar|kick-?off|retro|retrospective|planning|calendar|invite|block|reserve)\b/i;

const questionStart =
  /^\s*(?:what|when|where|why|who|whom|whose|which|how|is|are|was|were|do|does|did|should|explain|tell\s+me|summari[sz]e|translate|write|draft|compose|list|describe)\b/i;

/**
 * The first pass: a calendar request parses to a dated event and names something one puts in
 * a calendar (meet, lunch, call, schedule, book, remind, appointment…), and is not a question.
 */
export function looksLikeCalendarRequest(text: string, parsed: ParseOutcome): boolean {
  return parsed.events.length > 0 && eventWords.test(text) && !questionStart.test(text);
}

export type RouteDecision =
  | {
      route: Route;
      decidedBy: "rules" | "model";
      /** The events to create, when the route is calendar. */
      parse: AssistedParse;
    }
  | { route: "task"; decidedBy: "rules"; task: ToDo };

/**
 * Decides whether text asks for a calendar event or a completion. Text with no date at all is a
 * completion without asking the model; otherwise a configured model has the last word (and refines
 * the events in the same call).
 */
export async function decideRoute(
  text: string,
  options: { timezone: string; now: Date },
  deps: AssistDeps,
): Promise<RouteDecision> {
  const parsed = parseEvents(text, options);
  const looksLikeEvent = looksLikeCalendarRequest(text, parsed);
  // A text that starts like a to-do and does not ask for an event is one, without a model call.
  const toDo = looksLikeEvent ? undefined : readToDo(text, parsed);
  if (toDo) return { route: "task", decidedBy: "rules", task: toDo };
  const byRules: Route = looksLikeEvent ? "calendar" : "completion";
  const plain = { ...parsed, assistedBy: null };
  if (parsed.events.length === 0 || !modelAvailable(deps.completions))
    return { route: byRules, decidedBy: "rules", parse: plain };
  try {
    const answer = await askModel(text, options.timezone, options.now, true, deps);
    const route = answer.route ?? byRules;
    const warnings = [...parsed.warnings];
    const events = crossCheck(parsed, settle(answer.events, options.timezone, warnings), warnings);
    return {
      route,
      decidedBy: answer.route ? "model" : "rules",
      parse: { events, warnings, assistedBy: answer.model },
    };
  } catch (error) {
    if (deps.context.signal.aborted) throw error;
    return {
      route: byRules,
      decidedBy: "rules",
      parse: {
        ...plain,
        warnings: [...parsed.warnings, `The model could not be asked (${failure(error)})`],
      },
    };
  }
}
