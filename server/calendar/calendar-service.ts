import { randomBytes } from "node:crypto";
import type { calendar_v3 } from "@googleapis/calendar";
import type { tasks_v1 } from "@googleapis/tasks";
import type { Credentials, OAuth2Client } from "google-auth-library";
import { hashSecret } from "../auth/secrets.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { open, seal } from "../crypto/secret-box.ts";
import { ApiError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { CalendarConnectionRow } from "../store/calendar-repository.ts";
import type { Store } from "../store/store.ts";
import {
  EventInputError,
  eventId,
  eventInputSchema,
  fromGoogleEvent,
  normalizeEvent,
  plannedEvent,
  toGoogleEvent,
} from "./events.ts";
import {
  CALENDAR_SCOPE,
  TASKS_SCOPE,
  tasksClient,
  calendarClient,
  fromGoogleError,
  googleStatus,
  isInvalidGrant,
  oauthClient,
  type GoogleSettings,
} from "./google.ts";
import type { CalendarEvent } from "./parse.ts";
import type { CalendarStatus, CreateResult, PublicEvent, TaskResult } from "./schemas.ts";

/** How long a consent stays open once a browser has started it (Google's page, the callback). */
export const STATE_TTL_MS = 10 * 60 * 1000;

/** How long the link that starts a consent stays usable: the task pane opens it at once. */
export const START_TTL_MS = 60 * 1000;

/** The cookie that binds a consent to the browser that started it. */
export const CONSENT_COOKIE = "officellm_consent";

/** At most this many creations run at once for one request (Google's per-user rate limit). */
const CREATE_CONCURRENCY = 4;

/** Why a consent step was refused, as the small page in the browser says it. */
export type ConsentRefusal = { ok: false; status: number; message: string };

export type ConsentStart = { ok: true; googleUrl: string; browserKey: string } | ConsentRefusal;

export type ConsentOutcome =
  { ok: true; email: string | null; token: { id: string; name: string } } | ConsentRefusal;

const refuse = (message: string, status = 400): ConsentRefusal => ({ ok: false, status, message });
const queryText = (query: Record<string, unknown>, name: string) =>
  typeof query[name] === "string" ? query[name] : undefined;
const tokensContext = (tokenId: string) => `calendar-connection:${tokenId}`;
const verifierContext = (stateHash: string) => `oauth-state:${stateHash}`;

function notConfigured(): ApiError {
  return new ApiError(
    "unavailable",
    "Google Calendar is not configured on this server: set GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and ENCRYPTION_KEY (see docs/google-calendar.md)",
  );
}

const notConnected = () =>
  new ApiError(
    "not_connected",
    "Google Calendar is not connected for this token: connect it first (GET /api/v1/calendar/connect)",
  );

const reconnect = () =>
  new ApiError(
    "not_connected",
    "Reconnect Google Calendar: Google no longer accepts the stored grant (it was revoked or has expired); connect again with GET /api/v1/calendar/connect",
  );

/** States and tickets older than a day are swept when new ones are saved. */
const sweepBefore = (now: Date) => new Date(now.getTime() - 24 * 60 * 60 * 1000).toISOString();

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
async function mapLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Google Calendar for OfficeLLM tokens: the OAuth consent (PKCE, single-use state), the sealed
 * grant per token, automatic refresh (refreshed tokens are sealed and saved again), and events.
 */
export class CalendarService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #google: GoogleSettings | undefined;
  readonly #key: Buffer | undefined;

  constructor(deps: { store: Store; clock: Clock; logger: Logger; config: Config }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#google = deps.config.google;
    this.#key = deps.config.encryptionKey;
  }

  get configured(): boolean {
    return Boolean(this.#google && this.#key);
  }

  /** Throws the 503 "not configured" error unless Google settings are present. */
  #settings(): { google: GoogleSettings; key: Buffer } {
    if (!this.#google || !this.#key) throw notConfigured();
    return { google: this.#google, key: this.#key };
  }

  assertConfigured(): void {
    this.#settings();
  }

  // --- Consent ----------------------------------------------------------------------------

  /**
   * Where the browser that will consent starts: a link on this server with a one-time ticket
   * for `tokenId`, short-lived. Google's own consent URL is only handed to the browser that
   * opens it (startConsent), so that it cannot be forwarded to someone else to complete.
   */
  async connectUrl(tokenId: string): Promise<{ url: string; expiresAt: string }> {
    const { google } = this.#settings();
    const ticket = randomBytes(32).toString("base64url");
    const now = this.#clock.now();
    const expiresAt = new Date(now.getTime() + START_TTL_MS).toISOString();
    await this.#store.calendar.insertStart(
      {
        ticket_hash: hashSecret(ticket),
        token_id: tokenId,
        expires_at: expiresAt,
        used_at: null,
        created_at: now.toISOString(),
      },
      sweepBefore(now),
    );
    // Next to the callback, so that the cookie set there comes back with Google's redirect.
    const url = new URL("start", google.redirectUri);
    url.searchParams.set("ticket", ticket);
    return { url: url.href, expiresAt };
  }

  /** Where the consent cookie applies, and whether it needs https: the callback's. */
  consentCookieScope(): { path: string; secure: boolean } {
    const callback = new URL(this.#settings().google.redirectUri);
    return { path: new URL(".", callback).pathname, secure: callback.protocol === "https:" };
  }

  /**
   * A browser opens the start link: uses its ticket up, and answers Google's consent URL (a
   * fresh single-use state and PKCE challenge) with the key of the cookie that the browser
   * must bring back to the callback.
   */
  async startConsent(query: Record<string, unknown>): Promise<ConsentStart> {
    const { google, key } = this.#settings();
    const ticket = queryText(query, "ticket");
    if (!ticket) return refuse("The link has no ticket. Start again from OfficeLLM.");
    const now = this.#clock.now();
    const taken = await this.#store.calendar.takeStart(hashSecret(ticket), now.toISOString());
    if ("refused" in taken)
      return refuse(
        {
          unknown: "This link was not issued by OfficeLLM. Start again from OfficeLLM.",
          used: "This link was opened already. Start again from OfficeLLM.",
          expired: `This link has expired (links last ${START_TTL_MS / 1000} seconds). Start again from OfficeLLM.`,
        }[taken.refused],
      );

    const client = await oauthClient(google);
    // Loaded by oauthClient already (google.ts says why it is not imported at start).
    const { CodeChallengeMethod } = await import("google-auth-library");
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const state = randomBytes(32).toString("base64url");
    const browserKey = randomBytes(32).toString("base64url");
    const stateHash = hashSecret(state);
    await this.#store.calendar.insertState(
      {
        state_hash: stateHash,
        token_id: taken.tokenId,
        code_verifier_sealed: seal(key, codeVerifier, verifierContext(stateHash)),
        expires_at: new Date(now.getTime() + STATE_TTL_MS).toISOString(),
        used_at: null,
        created_at: now.toISOString(),
        browser_hash: hashSecret(browserKey),
      },
      sweepBefore(now),
    );
    const googleUrl = client.generateAuthUrl({
      access_type: "offline",
      prompt: "consent",
      scope: [CALENDAR_SCOPE, TASKS_SCOPE],
      state,
      code_challenge: codeChallenge!,
      code_challenge_method: CodeChallengeMethod.S256,
    });
    return { ok: true, googleUrl, browserKey };
  }

  /**
   * Google's redirect back: checks the state and that this is the browser that started the
   * consent (`browserKey`, its cookie), exchanges the code, seals and saves the grant.
   */
  async completeConsent(
    query: Record<string, unknown>,
    browserKey: string | undefined,
  ): Promise<ConsentOutcome> {
    const { google, key } = this.#settings();
    const state = queryText(query, "state");
    if (!state) return refuse("The link has no state. Start again from OfficeLLM.");
    const stateHash = hashSecret(state);
    const pending = await this.#store.calendar.getState(stateHash);
    const now = this.#clock.now().toISOString();
    if (!pending)
      return refuse(
        "This link was not issued by OfficeLLM, or expired long ago. Start again from OfficeLLM.",
      );
    if (pending.used_at) return refuse("This link was used already. Start again from OfficeLLM.");
    if (pending.expires_at <= now)
      return refuse("This link has expired (links last 10 minutes). Start again from OfficeLLM.");
    // Someone else's consent link, completed here: the grant would go to their token.
    if (!browserKey || !pending.browser_hash || hashSecret(browserKey) !== pending.browser_hash)
      return refuse(
        "This consent was not started in this browser (or another one was started here since), so nothing was connected. If you did not ask for it, someone may have sent you their link. To connect your own calendar, start again from OfficeLLM.",
        403,
      );
    if (!(await this.#store.calendar.consumeState(stateHash, now)))
      return refuse("This link was used already. Start again from OfficeLLM.");

    const denied = queryText(query, "error");
    if (denied)
      return refuse(
        denied === "access_denied"
          ? "Access was not granted, so Google Calendar is not connected."
          : `Google reported an error (${denied.slice(0, 100)}), so Google Calendar is not connected.`,
      );
    const code = queryText(query, "code");
    if (!code) return refuse("Google sent no authorization code. Start again from OfficeLLM.");

    const token = await this.#store.tokens.findById(pending.token_id);
    if (!token || token.revoked_at || (token.expires_at && token.expires_at <= now))
      return refuse("The OfficeLLM token that asked for this connection is no longer valid.");

    const client = await oauthClient(google);
    let tokens: Credentials;
    try {
      const codeVerifier = open(key, pending.code_verifier_sealed, verifierContext(stateHash));
      ({ tokens } = await client.getToken({ code, codeVerifier }));
    } catch (error) {
      this.#logger.warn(
        { status: googleStatus(error), tokenId: pending.token_id },
        "google code exchange failed",
      );
      return googleStatus(error) === undefined || (googleStatus(error) ?? 0) >= 500
        ? refuse("Google could not be reached to finish connecting; try again.", 502)
        : refuse("Google refused the authorization code; start again from OfficeLLM.");
    }

    const granted = (tokens.scope ?? CALENDAR_SCOPE).split(/\s+/);
    if (!granted.includes(CALENDAR_SCOPE))
      return refuse(
        "Access to your calendar events was not granted. Connect again and allow OfficeLLM to see and edit events.",
      );
    const previous = await this.#store.calendar.getConnection(pending.token_id);
    const previousTokens = previous ? this.#openTokens(key, previous) : undefined;
    const credentials: Credentials = {
      ...tokens,
      refresh_token: tokens.refresh_token ?? previousTokens?.refresh_token ?? null,
    };
    if (!credentials.refresh_token)
      return refuse(
        "Google gave no refresh token. Remove OfficeLLM's access in your Google account settings, then connect again.",
      );

    // The primary calendar's id is the account's address, and it carries the user's timezone.
    const about = await this.#aboutAccount(google, credentials);
    await this.#store.calendar.putConnection({
      token_id: pending.token_id,
      tokens_sealed: seal(key, JSON.stringify(credentials), tokensContext(pending.token_id)),
      email: about.email,
      time_zone: about.timeZone,
      scope: granted.join(" "),
      needs_reconnect: 0,
      connected_at: now,
      updated_at: now,
    });
    await this.#store.audit.record({
      actorTokenId: pending.token_id,
      action: "calendar.connected",
      subject: about.email,
      detail: { scope: granted.join(" "), reconnect: Boolean(previous) },
      createdAt: now,
    });
    return { ok: true, email: about.email, token: { id: token.id, name: token.name } };
  }

  async #aboutAccount(
    google: GoogleSettings,
    credentials: Credentials,
  ): Promise<{ email: string | null; timeZone: string | null }> {
    const auth = await oauthClient(google);
    auth.setCredentials(credentials);
    try {
      const api = await calendarClient(google, auth);
      const { data } = await api.events.list({
        calendarId: "primary",
        maxResults: 1,
        timeMin: this.#clock.now().toISOString(),
      });
      const email = data.summary && data.summary.includes("@") ? data.summary : null;
      return { email, timeZone: data.timeZone ?? null };
    } catch (error) {
      this.#logger.warn({ status: googleStatus(error) }, "could not read the primary calendar");
      return { email: null, timeZone: null };
    }
  }

  #openTokens(key: Buffer, row: CalendarConnectionRow): Credentials | undefined {
    try {
      return JSON.parse(open(key, row.tokens_sealed, tokensContext(row.token_id))) as Credentials;
    } catch {
      // Another ENCRYPTION_KEY, or an altered row: the grant cannot be used.
      return undefined;
    }
  }

  // --- Connection -------------------------------------------------------------------------

  async status(tokenId: string): Promise<CalendarStatus> {
    if (!this.configured) return { configured: false, connected: false, needsReconnect: false };
    const row = await this.#store.calendar.getConnection(tokenId);
    if (!row) return { configured: true, connected: false, needsReconnect: false };
    return {
      configured: true,
      connected: row.needs_reconnect === 0,
      needsReconnect: row.needs_reconnect === 1,
      ...(row.email ? { email: row.email } : {}),
      ...(row.time_zone ? { timeZone: row.time_zone } : {}),
      connectedAt: row.connected_at,
    };
  }

  /** The timezone of the token's primary calendar, when known. */
  async calendarTimeZone(tokenId: string): Promise<string | undefined> {
    if (!this.configured) return undefined;
    return (await this.#store.calendar.getConnection(tokenId))?.time_zone ?? undefined;
  }

  /** Revokes the grant at Google (best effort) and forgets it here. */
  async disconnect(tokenId: string): Promise<{ revokedAtGoogle: boolean }> {
    const { google, key } = this.#settings();
    const row = await this.#store.calendar.getConnection(tokenId);
    if (!row) throw new ApiError("not_found", "Google Calendar is not connected for this token");
    const tokens = this.#openTokens(key, row);
    let revokedAtGoogle = false;
    const revocable = tokens?.refresh_token ?? tokens?.access_token;
    if (revocable) {
      try {
        const client = await oauthClient(google);
        await client.revokeToken(revocable);
        revokedAtGoogle = true;
      } catch (error) {
        // Already revoked or expired at Google: nothing left to revoke.
        this.#logger.warn({ status: googleStatus(error), tokenId }, "google revocation failed");
      }
    }
    await this.#store.calendar.deleteConnection(tokenId);
    await this.#store.audit.record({
      actorTokenId: tokenId,
      action: "calendar.disconnected",
      subject: row.email,
      detail: { revokedAtGoogle },
      createdAt: this.#clock.now().toISOString(),
    });
    return { revokedAtGoogle };
  }

  /**
   * Runs `work` with the token's Calendar client. Expired access tokens are refreshed (the new
   * ones sealed and saved); a 401 refreshes once and retries; a refused grant marks the
   * connection as needing reconnection, and says so.
   */
  async #withCalendar<T>(
    tokenId: string,
    work: (api: calendar_v3.Calendar) => Promise<T>,
  ): Promise<T> {
    return this.#withGoogle(tokenId, CALENDAR_SCOPE, calendarClient, work);
  }

  /** As #withCalendar, with the Google Tasks client; the grant must include TASKS_SCOPE. */
  async #withTasks<T>(tokenId: string, work: (api: tasks_v1.Tasks) => Promise<T>): Promise<T> {
    return this.#withGoogle(tokenId, TASKS_SCOPE, tasksClient, work);
  }

  async #withGoogle<C, T>(
    tokenId: string,
    scope: string,
    client: (google: GoogleSettings, auth: OAuth2Client) => Promise<C>,
    work: (api: C) => Promise<T>,
  ): Promise<T> {
    const { google, key } = this.#settings();
    const row = await this.#store.calendar.getConnection(tokenId);
    if (!row) throw notConnected();
    if (row.needs_reconnect) throw reconnect();
    // Grants given before Tasks was asked for (or with it unticked) lack its scope.
    if (!row.scope.split(/\s+/).includes(scope)) {
      throw new ApiError(
        "not_connected",
        "Connect Google again and allow Google Tasks: the stored grant does not include it",
      );
    }
    const stored = this.#openTokens(key, row);
    if (!stored) {
      await this.#markNeedsReconnect(tokenId, "the stored grant does not open with ENCRYPTION_KEY");
      throw reconnect();
    }

    const auth: OAuth2Client = await oauthClient(google);
    auth.setCredentials(stored);
    let current = stored;
    let saving = Promise.resolve();
    auth.on("tokens", (fresh: Credentials) => {
      current = {
        ...current,
        ...fresh,
        refresh_token: fresh.refresh_token ?? current.refresh_token,
      };
      const sealed = seal(key, JSON.stringify(current), tokensContext(tokenId));
      saving = saving.then(async () => {
        await this.#store.calendar.updateConnection(tokenId, {
          tokens_sealed: sealed,
          updated_at: this.#clock.now().toISOString(),
        });
      });
    });
    const api = await client(google, auth);
    try {
      try {
        return await work(api);
      } catch (error) {
        if (googleStatus(error) !== 401 || isInvalidGrant(error)) throw error;
        // The access token was refused before its time (revoked at Google): refresh once.
        await auth.refreshAccessToken();
        return await work(api);
      }
    } catch (error) {
      if (isInvalidGrant(error) || googleStatus(error) === 401) {
        await this.#markNeedsReconnect(tokenId, isInvalidGrant(error) ? "invalid_grant" : "401");
        throw reconnect();
      }
      // Never let a raw Google error out: its request may hold the refresh token or client secret.
      throw fromGoogleError(error, "talking to Google Calendar");
    } finally {
      await saving;
    }
  }

  async #markNeedsReconnect(tokenId: string, reason: string): Promise<void> {
    this.#logger.warn({ tokenId, reason }, "google calendar needs reconnecting");
    await this.#store.calendar.updateConnection(tokenId, {
      needs_reconnect: 1,
      updated_at: this.#clock.now().toISOString(),
    });
  }

  // --- Tasks ------------------------------------------------------------------------------

  /**
   * Adds a to-do to the user's default Google Tasks list, with the date it is due (Google Tasks
   * keeps a date, not a time). A dry run touches nothing.
   */
  async createTask(
    tokenId: string,
    task: { title: string; notes?: string; due?: string },
    options: { dryRun: boolean },
  ): Promise<TaskResult> {
    const planned = { title: task.title, notes: task.notes ?? null, due: task.due ?? null };
    if (options.dryRun) {
      this.#settings();
      return { dryRun: true, task: { id: null, ...planned, webViewLink: null } };
    }
    const created = await this.#withTasks(tokenId, async (api) => {
      const answer = await api.tasks.insert({
        tasklist: "@default",
        requestBody: {
          title: planned.title,
          ...(planned.notes ? { notes: planned.notes } : {}),
          // Google Tasks reads only the date part of `due`.
          ...(planned.due ? { due: `${planned.due}T00:00:00.000Z` } : {}),
        },
      });
      return answer.data;
    });
    return {
      dryRun: false,
      task: { id: created.id ?? null, ...planned, webViewLink: created.webViewLink ?? null },
    };
  }

  // --- Events -----------------------------------------------------------------------------

  /**
   * Creates each event once: its id is derived from the caller and its content, so a second run
   * is answered "exists". Each row succeeds or fails on its own; a dry run touches nothing.
   */
  async createEvents(
    tokenId: string,
    rows: unknown[],
    options: { timezone: string; calendarId: string; dryRun: boolean; signal?: AbortSignal },
  ): Promise<CreateResult[]> {
    if (!options.dryRun) {
      this.#settings();
      // Fail the whole request early when the account is not usable, rather than every row.
      const row = await this.#store.calendar.getConnection(tokenId);
      if (!row) throw notConnected();
      if (row.needs_reconnect) throw reconnect();
    }
    const prepared = rows.map((row, index) =>
      this.#prepareRow(tokenId, row, index, options.timezone),
    );
    if (options.dryRun)
      return prepared.map((item) =>
        "error" in item
          ? item.error
          : {
              index: item.index,
              ok: true as const,
              status: "planned" as const,
              id: item.id,
              htmlLink: null,
              event: plannedEvent(item.id, item.event),
            },
      );

    // The same event twice in one request is created once.
    const byId = new Map<string, Promise<CreateResult>>();
    return this.#withCalendar(tokenId, (api) =>
      mapLimited(prepared, CREATE_CONCURRENCY, async (item) => {
        if ("error" in item) return item.error;
        const earlier = byId.get(item.id);
        if (earlier) {
          const first = await earlier;
          return first.ok
            ? { ...first, index: item.index, status: "exists" as const }
            : { ...first, index: item.index };
        }
        const attempt = this.#insert(api, item, options);
        byId.set(item.id, attempt);
        return attempt;
      }),
    );
  }

  #prepareRow(
    tokenId: string,
    row: unknown,
    index: number,
    timezone: string,
  ):
    | { index: number; id: string; event: CalendarEvent }
    | { error: Extract<CreateResult, { ok: false }> } {
    const fail = (path: string, message: string) => ({
      error: {
        index,
        ok: false as const,
        error: { code: "invalid_request" as const, message: `${path}: ${message}`, path },
      },
    });
    const parsed = eventInputSchema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field =
        issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
      return fail(
        ["events", index, ...field.map(String)].join("."),
        issue.code === "unrecognized_keys" ? "is not a known field" : issue.message,
      );
    }
    try {
      const event = normalizeEvent(parsed.data, timezone);
      return { index, id: eventId(tokenId, event), event };
    } catch (error) {
      if (error instanceof EventInputError)
        return fail(`events.${index}.${error.path}`, error.message.slice(error.path.length + 2));
      throw error;
    }
  }

  async #insert(
    api: calendar_v3.Calendar,
    item: { index: number; id: string; event: CalendarEvent },
    options: { calendarId: string; signal?: AbortSignal },
  ): Promise<CreateResult> {
    const requestBody = toGoogleEvent(item.id, item.event);
    const ok = (status: "created" | "exists", event: calendar_v3.Schema$Event): CreateResult => ({
      index: item.index,
      ok: true,
      status,
      id: item.id,
      htmlLink: event.htmlLink ?? null,
      event: fromGoogleEvent(event),
    });
    try {
      const { data } = await api.events.insert(
        { calendarId: options.calendarId, requestBody },
        { signal: options.signal },
      );
      return ok("created", data);
    } catch (error) {
      if (googleStatus(error) === 409) {
        // Created by an earlier run: report the event that is there.
        try {
          const { data } = await api.events.get(
            { calendarId: options.calendarId, eventId: item.id },
            { signal: options.signal },
          );
          return ok("exists", data);
        } catch {
          return ok("exists", requestBody);
        }
      }
      if (isInvalidGrant(error) || googleStatus(error) === 401) throw error;
      const apiError = fromGoogleError(error, "creating the event");
      return {
        index: item.index,
        ok: false,
        error: { code: apiError.code, message: apiError.message },
      };
    }
  }

  async listEvents(
    tokenId: string,
    query: {
      from: string;
      to: string;
      calendarId: string;
      pageToken?: string;
      maxResults: number;
      signal?: AbortSignal;
    },
  ): Promise<{ events: PublicEvent[]; nextPageToken: string | null; timeZone: string | null }> {
    return this.#withCalendar(tokenId, async (api) => {
      try {
        const { data } = await api.events.list(
          {
            calendarId: query.calendarId,
            timeMin: query.from,
            timeMax: query.to,
            singleEvents: true,
            orderBy: "startTime",
            maxResults: query.maxResults,
            ...(query.pageToken ? { pageToken: query.pageToken } : {}),
          },
          { signal: query.signal },
        );
        return {
          events: (data.items ?? []).map(fromGoogleEvent),
          nextPageToken: data.nextPageToken ?? null,
          timeZone: data.timeZone ?? null,
        };
      } catch (error) {
        throw this.#passAuth(error, "listing events");
      }
    });
  }

  async getEvent(
    tokenId: string,
    calendarId: string,
    id: string,
    signal?: AbortSignal,
  ): Promise<calendar_v3.Schema$Event> {
    return this.#withCalendar(tokenId, async (api) => {
      try {
        return (await api.events.get({ calendarId, eventId: id }, { signal })).data;
      } catch (error) {
        throw this.#passAuth(error, "reading the event");
      }
    });
  }

  async patchEvent(
    tokenId: string,
    calendarId: string,
    id: string,
    patch: calendar_v3.Schema$Event,
    signal?: AbortSignal,
  ): Promise<PublicEvent> {
    return this.#withCalendar(tokenId, async (api) => {
      try {
        const { data } = await api.events.patch(
          { calendarId, eventId: id, requestBody: patch },
          { signal },
        );
        return fromGoogleEvent(data);
      } catch (error) {
        throw this.#passAuth(error, "changing the event");
      }
    });
  }

  async deleteEvent(
    tokenId: string,
    calendarId: string,
    id: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#withCalendar(tokenId, async (api) => {
      try {
        await api.events.delete({ calendarId, eventId: id }, { signal });
      } catch (error) {
        throw this.#passAuth(error, "deleting the event");
      }
    });
  }

  /** Auth failures go on to #withCalendar (refresh, reconnect); the rest become envelope errors. */
  #passAuth(error: unknown, what: string): unknown {
    return isInvalidGrant(error) || googleStatus(error) === 401
      ? error
      : fromGoogleError(error, what);
  }
}
