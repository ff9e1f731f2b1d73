import type { calendar_v3 } from "@googleapis/calendar";
import type { CookieOptions } from "express";
import { DateTime } from "luxon";
import { z } from "zod";
import { assistedParse } from "../calendar/assist.ts";
import {
  CONSENT_COOKIE,
  START_TTL_MS,
  STATE_TTL_MS,
  type CalendarService,
} from "../calendar/calendar-service.ts";
import {
  EventInputError,
  eventInputSchema,
  googleTime,
  normalizeEvent,
} from "../calendar/events.ts";
import { connectedPage, failedPage } from "../calendar/pages.ts";
import { readNow } from "../calendar/parse.ts";
import {
  calendarStatusSchema,
  consentLinkSchema,
  createResponseSchema,
  disconnectedSchema,
  parseResponseSchema,
  publicEventSchema,
} from "../calendar/schemas.ts";
import { countResults, timezoneField } from "../calendar/shared-fields.ts";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { CompletionService } from "../llm/completion-service.ts";
import { readCookie } from "../util/cookies.ts";

/** The consent pages and redirects: never cached, and this server's URLs never sent on. */
const consentPageHeaders = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

/** Rows one POST /api/v1/calendar/events may carry. */
export const MAX_EVENT_ROWS = 500;

const nowField = z
  .string()
  .min(1)
  .optional()
  .describe('ISO 8601 instant that fixes "today" (default: the server\'s clock)');

/** Rejects a `now` that is not ISO 8601 (it is read in the body's timezone when it has no offset). */
function checkNow(body: { now?: string | undefined; timezone?: string }, ctx: z.RefinementCtx) {
  if (body.now !== undefined && !readNow(body.now, body.timezone ?? "UTC"))
    ctx.addIssue({ code: "custom", path: ["now"], message: "must be an ISO 8601 date-time" });
}

const calendarIdField = z.string().min(1).max(1024).default("primary");

const createBody = z
  .strictObject({
    events: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(MAX_EVENT_ROWS)
      .optional()
      .describe(
        "Events as parse answers them, or rows mapped from a sheet: {summary, start, end?, " +
          "durationMinutes?, allDay?, timeZone?, location?, description?, attendees?, recurrence?}. " +
          "Each row is checked on its own",
      ),
    text: z.string().min(1).max(20_000).optional().describe("Free text to parse and create"),
    timezone: timezoneField,
    now: nowField,
    calendarId: calendarIdField,
    dryRun: z.boolean().default(false).describe("Answer what would be created; touch nothing"),
  })
  .superRefine((body, ctx) => {
    if ((body.events === undefined) === (body.text === undefined))
      ctx.addIssue({
        code: "custom",
        path: [body.events === undefined ? "events" : "text"],
        message: "send either events or text",
      });
    checkNow(body, ctx);
  });

const listQuery = z.object({
  from: z.string().optional().describe("ISO 8601 date or date-time; default now"),
  to: z.string().optional().describe("ISO 8601 date or date-time; default 30 days after from"),
  timezone: timezoneField.optional().describe("Reads from/to without an offset; default UTC"),
  calendarId: calendarIdField,
  pageToken: z.string().optional(),
  maxResults: z.coerce.number().int().min(1).max(2500).default(250),
});

const patchBody = z
  .strictObject({
    summary: z.string().trim().min(1).max(1024).optional(),
    start: z.string().min(1).optional().describe("Moving only start keeps the duration"),
    end: z.string().min(1).optional(),
    allDay: z.boolean().optional(),
    timeZone: timezoneField.optional().describe("For start/end without an offset"),
    location: z.string().max(1024).nullable().optional().describe("null clears it"),
    description: z.string().max(8000).nullable().optional(),
    attendees: eventInputSchema.shape.attendees,
    recurrence: eventInputSchema.shape.recurrence,
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: "send at least one field" })
  .refine(
    (patch) =>
      patch.start !== undefined ||
      patch.end !== undefined ||
      !(patch.timeZone || patch.allDay !== undefined),
    {
      message: "timeZone and allDay change an event's times: send start or end with them",
      path: ["timeZone"],
    },
  );

const calendarQuery = z.object({ calendarId: calendarIdField });

/** A date (start of that day) or date-time, read in `zone` when it has no offset, as RFC 3339. */
function instantParam(value: string, zone: string, name: string): DateTime {
  const at = DateTime.fromISO(value, { zone });
  if (!at.isValid)
    throw new ApiError("invalid_request", `query.${name}: must be an ISO 8601 date or date-time`, {
      details: [{ path: `query.${name}`, message: "must be an ISO 8601 date or date-time" }],
    });
  return at;
}

/** Minutes or days between a Google event's start and end. */
function lengthOf(event: calendar_v3.Schema$Event): { minutes?: number; days?: number } {
  if (event.start?.date && event.end?.date) {
    const days = DateTime.fromISO(event.end.date).diff(
      DateTime.fromISO(event.start.date),
      "days",
    ).days;
    return { days };
  }
  if (event.start?.dateTime && event.end?.dateTime) {
    const minutes = DateTime.fromISO(event.end.dateTime).diff(
      DateTime.fromISO(event.start.dateTime),
      "minutes",
    ).minutes;
    return { minutes };
  }
  return {};
}

/**
 * Google Calendar: consent, status and disconnection; parsing text into events; creating
 * (idempotently), listing, changing and deleting events.
 */
export function calendarRoutes(deps: {
  calendar: CalendarService;
  completions: CompletionService;
  clock: Clock;
}): Route[] {
  const { calendar, completions, clock } = deps;
  const consentCookieOptions = (): CookieOptions => ({
    httpOnly: true,
    sameSite: "lax",
    ...calendar.consentCookieScope(),
  });

  return [
    defineRoute({
      method: "get",
      path: "/api/v1/calendar/connect",
      access: "calendar",
      tag: "Calendar",
      summary: "A link that connects this token's Google Calendar, for the browser that opens it",
      description:
        `Open the URL in a browser (or an Office dialog) within ${START_TTL_MS / 1000} seconds; ` +
        "it works once. It binds the consent to that browser (a cookie) and goes on to Google; " +
        "after consent, Google sends the browser to the OAuth callback, whose page names the " +
        "token connected, and GET /api/v1/calendar/status turns connected.",
      response: consentLinkSchema,
      handle: async ({ caller }) => calendar.connectUrl(caller.tokenId),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/calendar/oauth/start",
      access: "public",
      tag: "Calendar",
      summary: "Where the browser starts consent (the link of GET /api/v1/calendar/connect)",
      description:
        "Sets a cookie that binds the consent to this browser and redirects to Google; an " +
        "unknown, used or expired ticket answers a small HTML page.",
      query: z.looseObject({ ticket: z.string().optional() }),
      handle: async (_input, req, res) => {
        calendar.assertConfigured();
        const started = await calendar.startConsent(req.query as Record<string, unknown>);
        res.set(consentPageHeaders);
        if (!started.ok) {
          res.status(started.status).type("html").send(failedPage(started.message));
          return;
        }
        res
          .cookie(CONSENT_COOKIE, started.browserKey, {
            ...consentCookieOptions(),
            maxAge: STATE_TTL_MS,
          })
          .redirect(302, started.googleUrl);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/calendar/oauth/callback",
      access: "public",
      tag: "Calendar",
      summary: "Where Google sends the browser after consent; answers a small HTML page",
      query: z.looseObject({
        state: z.string().optional(),
        code: z.string().optional(),
        error: z.string().optional(),
      }),
      handle: async (_input, req, res) => {
        calendar.assertConfigured();
        const outcome = await calendar.completeConsent(
          req.query as Record<string, unknown>,
          readCookie(req.headers.cookie, CONSENT_COOKIE),
        );
        res
          .status(outcome.ok ? 200 : outcome.status)
          .set({
            ...consentPageHeaders,
            // Keep the task pane's handle on this window, so it can close it once connected.
            "cross-origin-opener-policy": "unsafe-none",
          })
          .type("html");
        // Its state is used up; a refused callback leaves it, for the consent it may belong to.
        if (outcome.ok) res.clearCookie(CONSENT_COOKIE, consentCookieOptions());
        res.send(
          outcome.ok ? connectedPage(outcome.email, outcome.token) : failedPage(outcome.message),
        );
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/calendar/status",
      access: "calendar",
      tag: "Calendar",
      summary: "Whether Google Calendar is configured, connected, or needs reconnecting",
      response: calendarStatusSchema,
      handle: async ({ caller }) => calendar.status(caller.tokenId),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/calendar/connection",
      access: "calendar",
      tag: "Calendar",
      summary: "Disconnect Google Calendar: revoke the grant at Google and forget it here",
      response: disconnectedSchema,
      handle: async ({ caller }) => ({
        disconnected: true as const,
        ...(await calendar.disconnect(caller.tokenId)),
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/calendar/parse",
      access: "calendar",
      tag: "Calendar",
      summary: "Turn text into events (no side effects)",
      description:
        "Works offline with the date parser; with a real model configured, the model refines " +
        "titles, places and attendees and the parser checks its dates (disagreements become warnings).",
      body: z
        .strictObject({
          text: z.string().min(1).max(20_000),
          timezone: timezoneField,
          now: nowField,
        })
        .superRefine(checkNow),
      response: parseResponseSchema,
      handle: async ({ body, ...context }) =>
        assistedParse(
          body.text,
          {
            timezone: body.timezone,
            now: body.now ? readNow(body.now, body.timezone)! : clock.now(),
          },
          { completions, context },
        ),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/calendar/events",
      access: "calendar",
      tag: "Calendar",
      summary: "Create events once each (rows or text); per-row results",
      description:
        "Each event's Google id is derived from the caller and the event's content, so sending " +
        "the same rows again creates nothing new and reports them as `exists`. One bad row never " +
        "blocks the others. `dryRun` answers what would be created without touching Google.",
      body: createBody,
      response: createResponseSchema,
      handle: async ({ body, ...context }) => {
        let rows: unknown[] = body.events ?? [];
        let warnings: string[] = [];
        if (body.text !== undefined) {
          const parsed = await assistedParse(
            body.text,
            {
              timezone: body.timezone,
              now: body.now ? readNow(body.now, body.timezone)! : clock.now(),
            },
            { completions, context },
          );
          rows = parsed.events;
          warnings = parsed.warnings;
        }
        const results = rows.length
          ? await calendar.createEvents(context.caller.tokenId, rows, {
              timezone: body.timezone,
              calendarId: body.calendarId,
              dryRun: body.dryRun,
              signal: context.signal,
            })
          : [];
        return { results, warnings, counts: countResults(results) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/calendar/events",
      access: "calendar",
      tag: "Calendar",
      summary: "Events between from and to (recurring events expanded), by start time",
      query: listQuery,
      response: z.object({
        events: z.array(publicEventSchema),
        nextPageToken: z.string().nullable(),
        timeZone: z.string().nullable().describe("The calendar's timezone"),
      }),
      handle: async ({ query, caller, signal }) => {
        calendar.assertConfigured();
        const zone = query.timezone ?? "UTC";
        const from = query.from
          ? instantParam(query.from, zone, "from")
          : DateTime.fromJSDate(clock.now(), { zone });
        const to = query.to ? instantParam(query.to, zone, "to") : from.plus({ days: 30 });
        if (to <= from)
          throw new ApiError("invalid_request", "query.to: must be after from", {
            details: [{ path: "query.to", message: "must be after from" }],
          });
        return calendar.listEvents(caller.tokenId, {
          from: from.toISO()!,
          to: to.toISO()!,
          calendarId: query.calendarId,
          maxResults: query.maxResults,
          ...(query.pageToken ? { pageToken: query.pageToken } : {}),
          signal,
        });
      },
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/calendar/events/:id",
      access: "calendar",
      tag: "Calendar",
      summary: "Change some of an event's fields",
      description:
        "Times without an offset are read in `timeZone` (default: the event's own zone). Moving " +
        "only `start` keeps the event's length; changing only `end` keeps its start.",
      query: calendarQuery,
      body: patchBody,
      response: publicEventSchema,
      handle: async ({ params, query, body, caller, signal }) => {
        calendar.assertConfigured();
        const tokenId = caller.tokenId;
        const id = params.id!;
        const patch: calendar_v3.Schema$Event = {};
        if (body.summary !== undefined) patch.summary = body.summary;
        if (body.location !== undefined) patch.location = body.location ?? "";
        if (body.description !== undefined) patch.description = body.description ?? "";
        if (body.attendees !== undefined)
          patch.attendees = body.attendees.map((email) => ({ email }));
        if (body.recurrence !== undefined) patch.recurrence = body.recurrence;
        if (body.start !== undefined || body.end !== undefined) {
          const existing = await calendar.getEvent(tokenId, query.calendarId, id, signal);
          const zone =
            body.timeZone ??
            existing.start?.timeZone ??
            (await calendar.calendarTimeZone(tokenId)) ??
            "UTC";
          const length = lengthOf(existing);
          const start = body.start ?? existing.start?.dateTime ?? existing.start?.date ?? undefined;
          if (!start)
            throw new ApiError("invalid_request", "body.start: the event has no start to keep");
          const allDay =
            body.allDay ?? (body.start === undefined ? Boolean(existing.start?.date) : undefined);
          try {
            const settled = normalizeEvent(
              {
                summary: "x",
                start,
                ...(body.end !== undefined
                  ? { end: body.end }
                  : length.minutes !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(start)
                    ? { durationMinutes: Math.max(1, Math.round(length.minutes)) }
                    : length.days !== undefined
                      ? { durationMinutes: Math.round(length.days) * 1440 }
                      : {}),
                ...(allDay !== undefined ? { allDay } : {}),
                timeZone: zone,
              },
              zone,
            );
            patch.start = googleTime(settled.start, settled.allDay, zone);
            patch.end = googleTime(settled.end, settled.allDay, zone);
            // Switching between all-day and timed: Google needs the other form cleared.
            if (settled.allDay) {
              patch.start.dateTime = null;
              patch.end.dateTime = null;
            } else {
              patch.start.date = null;
              patch.end.date = null;
            }
          } catch (error) {
            if (error instanceof EventInputError)
              throw new ApiError("invalid_request", `body.${error.message}`, {
                details: [{ path: `body.${error.path}`, message: error.message }],
              });
            throw error;
          }
        }
        return calendar.patchEvent(tokenId, query.calendarId, id, patch, signal);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/calendar/events/:id",
      access: "calendar",
      tag: "Calendar",
      summary: "Delete an event; answers 204 with no body",
      query: calendarQuery,
      successStatus: 204,
      handle: async ({ params, query, caller, signal }, _req, res) => {
        await calendar.deleteEvent(caller.tokenId, query.calendarId, params.id!, signal);
        res.status(204).end();
      },
    }),
  ];
}
