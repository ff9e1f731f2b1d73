/** The Google Calendar calls of the task pane, typed after server/routes/calendar.ts. */
import type { ApiClient } from "../shared/api-client.ts";
import type { EventRow } from "./calendar-rows.ts";

export interface CalendarStatus {
  configured: boolean;
  connected: boolean;
  needsReconnect: boolean;
  email?: string;
  timeZone?: string;
  connectedAt?: string;
}

export interface ParsedEvent {
  summary: string;
  start: string;
  end: string;
  allDay: boolean;
  timeZone: string;
  location?: string;
  description?: string;
  attendees?: string[];
  recurrence?: string[];
}

export interface ParseResponse {
  events: ParsedEvent[];
  warnings: string[];
  assistedBy: string | null;
}

export interface PublicEvent {
  id: string;
  summary: string;
  start: string;
  end: string;
  allDay: boolean;
  timeZone: string | null;
  location: string | null;
  description: string | null;
  attendees: string[];
  recurrence: string[];
  status: string | null;
  htmlLink: string | null;
}

export type CreateResult =
  | {
      index: number;
      ok: true;
      status: "created" | "exists" | "planned";
      id: string;
      htmlLink: string | null;
      event: PublicEvent;
    }
  | { index: number; ok: false; error: { code: string; message: string; path?: string } };

export interface CreateResponse {
  results: CreateResult[];
  warnings: string[];
  counts: { created: number; exists: number; planned: number; failed: number };
}

export const getCalendarStatus = (client: ApiClient, signal?: AbortSignal) =>
  client.get<CalendarStatus>("/api/v1/calendar/status", signal);

export const getConsentUrl = (client: ApiClient) =>
  client.get<{ url: string; expiresAt: string }>("/api/v1/calendar/connect");

export const disconnectCalendar = (client: ApiClient) =>
  client.json<{ disconnected: true; revokedAtGoogle: boolean }>("/api/v1/calendar/connection", {
    method: "DELETE",
  });

export const parseEventText = (
  client: ApiClient,
  body: { text: string; timezone: string },
  signal?: AbortSignal,
) => client.post<ParseResponse>("/api/v1/calendar/parse", body, signal);

export const createEvents = (
  client: ApiClient,
  body: { events: (ParsedEvent | EventRow)[]; timezone: string; dryRun?: boolean },
  signal?: AbortSignal,
) => client.post<CreateResponse>("/api/v1/calendar/events", body, signal);
