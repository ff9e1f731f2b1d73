/** The Google Calendar calls of the task pane, typed by the server's schemas (server/wire.ts). */
import type {
  CalendarStatus,
  ConsentLink,
  CreateResponse,
  Disconnected,
  ParsedEvent,
  ParseResponse,
} from "../../../server/wire.ts";
import type { ApiClient } from "../shared/api-client.ts";
import type { EventRow } from "./calendar-rows.ts";

export type { CalendarStatus, ParsedEvent, ParseResponse };
export type { CreateResult } from "../../../server/wire.ts";

export const getCalendarStatus = (client: ApiClient, signal?: AbortSignal) =>
  client.get<CalendarStatus>("/api/v1/calendar/status", signal);

export const getConsentUrl = (client: ApiClient) =>
  client.get<ConsentLink>("/api/v1/calendar/connect");

export const disconnectCalendar = (client: ApiClient) =>
  client.json<Disconnected>("/api/v1/calendar/connection", {
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
