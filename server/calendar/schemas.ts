import { z } from "zod";
import { errorCodeSchema } from "../errors.ts";

/**
 * What the calendar API answers with: the route table's response schemas (and so the OpenAPI
 * document), and the types the calendar service returns, derived from them. No Node here: the
 * add-in takes these types through server/wire.ts.
 */

export const calendarStatusSchema = z.object({
  configured: z.boolean(),
  connected: z.boolean(),
  needsReconnect: z.boolean(),
  email: z.string().optional(),
  timeZone: z.string().optional().describe("The primary calendar's timezone"),
  connectedAt: z.string().optional(),
});

export type CalendarStatus = z.output<typeof calendarStatusSchema>;

/** The link that starts consent in a browser. */
export const consentLinkSchema = z.object({ url: z.string(), expiresAt: z.string() });

export const disconnectedSchema = z.object({
  disconnected: z.literal(true),
  revokedAtGoogle: z.boolean(),
});

export const parsedEventSchema = z.object({
  summary: z.string(),
  start: z.string().describe("ISO 8601 date-time with the offset in force that day, or a date"),
  end: z.string().describe("Like start; for all-day events the day after the last (exclusive)"),
  allDay: z.boolean(),
  timeZone: z.string(),
  location: z.string().optional(),
  description: z.string().optional(),
  attendees: z.array(z.string()).optional(),
  recurrence: z.array(z.string()).optional(),
});

export const parseResponseSchema = z.object({
  events: z.array(parsedEventSchema),
  warnings: z.array(z.string()),
  assistedBy: z.string().nullable().describe("The model that refined the parse, if any"),
});

/** An event as the API answers with it. */
export const publicEventSchema = z.object({
  id: z.string(),
  summary: z.string(),
  start: z.string().describe("ISO 8601 date-time with offset, or a date for all-day events"),
  end: z.string(),
  allDay: z.boolean(),
  timeZone: z.string().nullable(),
  location: z.string().nullable(),
  description: z.string().nullable(),
  attendees: z.array(z.string()),
  recurrence: z.array(z.string()),
  status: z.string().nullable().describe("confirmed, tentative or cancelled"),
  htmlLink: z.string().nullable().describe("The event in Google Calendar"),
});

export type PublicEvent = z.output<typeof publicEventSchema>;

/** One row's outcome of creating events: its event, or its own failure. */
export const createResultSchema = z.union([
  z.object({
    index: z.number().describe("The row's position in the request"),
    ok: z.literal(true),
    status: z
      .enum(["created", "exists", "planned"])
      .describe("exists: an earlier run created it; planned: a dry run"),
    id: z.string().describe("The Google event id (derived from the caller and the content)"),
    htmlLink: z.string().nullable(),
    event: publicEventSchema,
  }),
  z.object({
    index: z.number(),
    ok: z.literal(false),
    error: z.object({ code: errorCodeSchema, message: z.string(), path: z.string().optional() }),
  }),
]);

export type CreateResult = z.output<typeof createResultSchema>;

export const createResponseSchema = z.object({
  results: z.array(createResultSchema),
  warnings: z.array(z.string()).describe("From parsing `text`"),
  counts: z.object({
    created: z.number(),
    exists: z.number(),
    planned: z.number(),
    failed: z.number(),
  }),
});

/** A Google Tasks to-do the webhook created (or, in a dry run, would create). */
export const taskResultSchema = z.object({
  dryRun: z.boolean(),
  task: z.object({
    id: z.string().nullable().describe("Google's id; null in a dry run"),
    title: z.string(),
    notes: z.string().nullable(),
    due: z.string().nullable().describe("YYYY-MM-DD, when the text named a day"),
    webViewLink: z.string().nullable(),
  }),
});

export type TaskResult = z.output<typeof taskResultSchema>;
