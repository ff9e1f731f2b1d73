import type { calendar_v3 } from "@googleapis/calendar";
import type { tasks_v1 } from "@googleapis/tasks";
import type { OAuth2Client } from "google-auth-library";
import { ApiError } from "../errors.ts";

/**
 * Google's official clients, set up for OfficeLLM: the OAuth client (consent URL with PKCE, code
 * exchange, refresh, revocation) and the Calendar API client; and Google's errors as envelope errors.
 *
 * The two libraries are imported when Calendar is first used, not at start: together they hold
 * several megabytes of every server's memory, and many servers never use Calendar
 * (docs/performance.md). `import()` loads each once; later calls find it loaded.
 */

/** View and edit events on the user's calendars: the narrowest scope that can create events. */
export const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events";

/** Create and edit the user's Google Tasks: asked on the same consent, for to-do texts. */
export const TASKS_SCOPE = "https://www.googleapis.com/auth/tasks";

export interface GoogleSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** One origin standing in for Google's OAuth endpoints and the API (tests, proxies). */
  baseUrl: string | undefined;
}

/** Google's calls give up after this long (the request's own deadline is usually longer). */
const GOOGLE_TIMEOUT_MS = 20_000;

export async function oauthClient(settings: GoogleSettings): Promise<OAuth2Client> {
  const { OAuth2Client } = await import("google-auth-library");
  const base = settings.baseUrl;
  return new OAuth2Client({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri: settings.redirectUri,
    ...(base
      ? {
          endpoints: {
            oauth2AuthBaseUrl: `${base}/o/oauth2/v2/auth`,
            oauth2TokenUrl: `${base}/token`,
            oauth2RevokeUrl: `${base}/revoke`,
            tokenInfoUrl: `${base}/tokeninfo`,
          },
        }
      : {}),
  });
}

export async function calendarClient(
  settings: GoogleSettings,
  auth: OAuth2Client,
): Promise<calendar_v3.Calendar> {
  const { calendar } = await import("@googleapis/calendar");
  return calendar({
    version: "v3",
    auth,
    timeout: GOOGLE_TIMEOUT_MS,
    // Idempotent reads are retried on 429 and 5xx by gaxios; writes are not (POST is never retried).
    retryConfig: { retry: 2, retryDelay: 200 },
    ...(settings.baseUrl ? { rootUrl: `${settings.baseUrl}/` } : {}),
  });
}

export async function tasksClient(
  settings: GoogleSettings,
  auth: OAuth2Client,
): Promise<tasks_v1.Tasks> {
  const { tasks } = await import("@googleapis/tasks");
  return tasks({
    version: "v1",
    // @googleapis/tasks brings its own copy of google-auth-library: the same client, other types.
    auth: auth as unknown as tasks_v1.Options["auth"],
    timeout: GOOGLE_TIMEOUT_MS,
    retryConfig: { retry: 2, retryDelay: 200 },
    ...(settings.baseUrl ? { rootUrl: `${settings.baseUrl}/` } : {}),
  });
}

interface GoogleErrorShape {
  status?: number;
  code?: string;
  name?: string;
  response?: { status?: number; data?: unknown; headers?: Headers | Record<string, string> };
}

interface GoogleErrorBody {
  error?:
    string | { code?: number; message?: string; status?: string; errors?: { reason?: string }[] };
  error_description?: string;
}

function body(error: unknown): GoogleErrorBody | undefined {
  const data = (error as GoogleErrorShape | undefined)?.response?.data;
  return typeof data === "object" && data !== null ? (data as GoogleErrorBody) : undefined;
}

/** The HTTP status Google answered with, if it answered. */
export function googleStatus(error: unknown): number | undefined {
  const shape = error as GoogleErrorShape | undefined;
  return shape?.response?.status ?? shape?.status;
}

/** True when Google's token endpoint refused the grant: revoked, expired, or the user changed password. */
export function isInvalidGrant(error: unknown): boolean {
  const data = body(error);
  return data?.error === "invalid_grant";
}

function reasonOf(error: unknown): string | undefined {
  const data = body(error)?.error;
  return typeof data === "object" ? (data.errors?.[0]?.reason ?? data.status) : undefined;
}

function messageOf(error: unknown): string {
  const data = body(error);
  const message =
    typeof data?.error === "object" ? data.error.message : (data?.error_description ?? data?.error);
  return typeof message === "string" && message ? message : "no details";
}

/** Google Calendar's error as the envelope error a caller should see. */
export function fromGoogleError(error: unknown, what: string): ApiError {
  if (error instanceof ApiError) return error;
  const status = googleStatus(error);
  const reason = reasonOf(error);
  const detail = messageOf(error);
  if (status === undefined) {
    const shape = error as GoogleErrorShape | undefined;
    const timedOut =
      shape?.name === "AbortError" ||
      shape?.name === "TimeoutError" ||
      /TIMEDOUT|ETIMEDOUT/i.test(shape?.code ?? "");
    return timedOut
      ? new ApiError("upstream_timeout", `Google Calendar did not answer in time (${what})`)
      : new ApiError("upstream_error", `Could not reach Google Calendar (${what})`);
  }
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      /rateLimitExceeded|userRateLimitExceeded|quotaExceeded|dailyLimitExceeded|RESOURCE_EXHAUSTED/i.test(
        reason ?? "",
      ));
  if (rateLimited)
    return new ApiError(
      "rate_limited",
      `Google Calendar's rate limit or quota was reached; try again in a minute (${what})`,
      { headers: { "retry-after": "60" } },
    );
  switch (status) {
    case 400:
      return new ApiError("invalid_request", `Google Calendar refused ${what}: ${detail}`);
    case 401:
      return new ApiError(
        "not_connected",
        "Reconnect Google Calendar: Google no longer accepts the stored access",
      );
    case 403:
      return new ApiError(
        "forbidden",
        `Google Calendar does not allow ${what}${reason ? ` (${reason})` : ""}: ${detail}`,
      );
    case 404:
    case 410:
      return new ApiError("not_found", `Google Calendar has no such event or calendar (${what})`);
    case 409:
      return new ApiError("conflict", `Google Calendar already holds that event (${what})`);
    case 412:
      return new ApiError("conflict", `The event changed at Google meanwhile (${what})`);
    default:
      return status >= 500
        ? new ApiError("upstream_error", `Google Calendar failed (${status}) on ${what}`)
        : new ApiError(
            "upstream_error",
            `Google Calendar answered ${status} on ${what}: ${detail}`,
          );
  }
}
