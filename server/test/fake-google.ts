/**
 * A fake Google at the HTTP edge, for the real `google-auth-library` and `@googleapis/calendar`
 * clients (pointed at it with GOOGLE_BASE_URL): OAuth 2.0 with PKCE (consent is simulated by
 * `authorize`, which plays the user's browser), token refresh and revocation, and the Calendar
 * API's events (insert, list, get, patch, delete) and the Tasks API's insert, with Google's error
 * shapes (a token whose grant lacks the tasks scope gets Google's 403).
 *
 * Routes: `POST /token`, `POST /revoke`, `…/calendar/v3/calendars/:calendarId/events[/:eventId]`,
 * `POST …/tasks/v1/lists/:tasklist/tasks`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeGoogleOptions {
  clientId?: string;
  clientSecret?: string;
  /** The account's address (the primary calendar's summary). */
  email?: string;
  timeZone?: string;
  /** Lifetime of issued access tokens, in seconds. Default 3600. */
  accessTokenTtlSeconds?: number;
}

export interface GoogleRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** JSON or form body as an object; undefined when empty. */
  body: Record<string, unknown> | undefined;
}

export interface GoogleFault {
  status: number;
  body: unknown;
}

interface Grant {
  refreshToken: string;
  scope: string;
  revoked: boolean;
}

interface PendingCode {
  challenge: string;
  method: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  used: boolean;
}

type StoredEvent = Record<string, unknown> & { id: string; status: string };

export interface FakeGoogle {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: GoogleRequest[];
  /** Events by calendar id ("primary" for the primary calendar), then by event id. */
  readonly calendars: Map<string, Map<string, StoredEvent>>;
  /** Google Tasks by list id ("@default" for the default list), in the order inserted. */
  readonly tasks: Map<string, Record<string, unknown>[]>;
  /** Lifetime of access tokens issued from now on. */
  accessTokenTtlSeconds: number;
  /**
   * Plays the browser at Google's consent page: checks the URL and answers where Google would
   * redirect, with a code. `grantScope` overrides what the user grants.
   */
  authorize(
    consentUrl: string,
    options?: { grantScope?: string },
  ): { callbackPath: string; params: URLSearchParams; code: string; state: string };
  /** Queues a failure for the next request whose `METHOD path` matches. */
  failNext(match: RegExp, fault: GoogleFault): void;
  /** Revokes every grant, as a user removing the app's access in their Google account does. */
  revokeAllGrants(): void;
  /** Invalidates every access token (refresh tokens stay valid). */
  expireAccessTokens(): void;
  /** Refresh tokens issued so far. */
  refreshTokens(): string[];
  requestsTo(method: string, pattern: RegExp): GoogleRequest[];
  close(): Promise<void>;
}

const random = (bytes = 24) => randomBytes(bytes).toString("base64url");

function googleError(status: number, message: string, reason: string, statusText: string) {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        errors: [{ domain: "global", reason, message }],
        status: statusText,
      },
    },
  };
}

/** The instant an event's start or end stands for (all-day dates at UTC midnight). */
function instant(time: unknown): number {
  const value = time as { dateTime?: string; date?: string } | undefined;
  return Date.parse(value?.dateTime ?? `${value?.date ?? "1970-01-01"}T00:00:00Z`);
}

export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const clientId = options.clientId ?? "fake-client-id.apps.googleusercontent.com";
  const clientSecret = options.clientSecret ?? "fake-google-client-secret";
  const email = options.email ?? "ada@example.com";
  const timeZone = options.timeZone ?? "Europe/Berlin";
  const requests: GoogleRequest[] = [];
  const calendars = new Map<string, Map<string, StoredEvent>>();
  const tasks = new Map<string, Record<string, unknown>[]>();
  const codes = new Map<string, PendingCode>();
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, { grant: Grant; expiresAt: number; valid: boolean }>();
  const faults: { match: RegExp; fault: GoogleFault }[] = [];

  const fake: FakeGoogle = {
    url: "",
    clientId,
    clientSecret,
    requests,
    calendars,
    tasks,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    authorize(consentUrl, authorizeOptions = {}) {
      const url = new URL(consentUrl);
      if (`${url.origin}${url.pathname}` !== `${fake.url}/o/oauth2/v2/auth`)
        throw new Error(`not the fake's consent URL: ${consentUrl}`);
      const params = url.searchParams;
      if (params.get("client_id") !== clientId) throw new Error("unknown client_id");
      if (params.get("response_type") !== "code") throw new Error("response_type must be code");
      const code = `4/${random()}`;
      codes.set(code, {
        challenge: params.get("code_challenge") ?? "",
        method: params.get("code_challenge_method") ?? "plain",
        clientId,
        redirectUri: params.get("redirect_uri") ?? "",
        scope: authorizeOptions.grantScope ?? params.get("scope") ?? "",
        used: false,
      });
      const redirect = new URL(params.get("redirect_uri")!);
      redirect.searchParams.set("state", params.get("state") ?? "");
      redirect.searchParams.set("code", code);
      redirect.searchParams.set("scope", authorizeOptions.grantScope ?? params.get("scope") ?? "");
      return {
        callbackPath: `${redirect.pathname}${redirect.search}`,
        params,
        code,
        state: params.get("state") ?? "",
      };
    },
    failNext(match, fault) {
      faults.push({ match, fault });
    },
    revokeAllGrants() {
      for (const grant of grants.values()) grant.revoked = true;
    },
    expireAccessTokens() {
      for (const token of accessTokens.values()) token.valid = false;
    },
    refreshTokens() {
      return [...grants.keys()];
    },
    requestsTo(method, pattern) {
      return requests.filter((r) => r.method === method && pattern.test(r.path));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function issueAccessToken(grant: Grant): { access_token: string; expires_in: number } {
    const token = `ya29.${random()}`;
    accessTokens.set(token, {
      grant,
      expiresAt: Date.now() + fake.accessTokenTtlSeconds * 1000,
      valid: true,
    });
    return { access_token: token, expires_in: fake.accessTokenTtlSeconds };
  }

  const invalidGrant = (description: string) => ({
    status: 400,
    body: { error: "invalid_grant", error_description: description },
  });

  function token(form: Record<string, unknown>): GoogleFault {
    if (form.client_id !== clientId || form.client_secret !== clientSecret)
      return { status: 401, body: { error: "invalid_client", error_description: "Unauthorized" } };
    if (form.grant_type === "authorization_code") {
      const pending = codes.get(String(form.code));
      if (!pending || pending.used) return invalidGrant("Malformed auth code.");
      pending.used = true;
      if (form.redirect_uri !== pending.redirectUri) return invalidGrant("Bad Request");
      const verifier = String(form.code_verifier ?? "");
      const computed =
        pending.method === "S256"
          ? createHash("sha256").update(verifier).digest("base64url")
          : verifier;
      if (!verifier || computed !== pending.challenge)
        return invalidGrant("Invalid code verifier.");
      const grant: Grant = { refreshToken: `1//${random()}`, scope: pending.scope, revoked: false };
      grants.set(grant.refreshToken, grant);
      return {
        status: 200,
        body: {
          ...issueAccessToken(grant),
          refresh_token: grant.refreshToken,
          scope: grant.scope,
          token_type: "Bearer",
        },
      };
    }
    if (form.grant_type === "refresh_token") {
      const grant = grants.get(String(form.refresh_token));
      if (!grant || grant.revoked) return invalidGrant("Token has been expired or revoked.");
      return {
        status: 200,
        body: { ...issueAccessToken(grant), scope: grant.scope, token_type: "Bearer" },
      };
    }
    return { status: 400, body: { error: "unsupported_grant_type" } };
  }

  function revoke(value: string): GoogleFault {
    const grant = grants.get(value) ?? accessTokens.get(value)?.grant;
    if (!grant || grant.revoked)
      return {
        status: 400,
        body: { error: "invalid_token", error_description: "Token expired or revoked" },
      };
    grant.revoked = true;
    return { status: 200, body: {} };
  }

  /** The grant behind the request's access token, if it is valid. */
  function grantOf(request: GoogleRequest): Grant | undefined {
    const auth = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
    const access = auth ? accessTokens.get(auth) : undefined;
    if (!access || !access.valid || access.grant.revoked || access.expiresAt < Date.now())
      return undefined;
    return access.grant;
  }

  const unauthenticated = () =>
    googleError(
      401,
      "Request had invalid authentication credentials.",
      "authError",
      "UNAUTHENTICATED",
    );

  /** The Tasks API's insert into a list (`@default` is the user's default list). */
  function insertTask(listId: string, request: GoogleRequest): GoogleFault {
    const grant = grantOf(request);
    if (!grant) return unauthenticated();
    if (!grant.scope.split(" ").includes("https://www.googleapis.com/auth/tasks"))
      return googleError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        "PERMISSION_DENIED",
      );
    const body = request.body ?? {};
    if (typeof body.title !== "string")
      return googleError(400, "Missing title.", "invalid", "INVALID_ARGUMENT");
    const id = random(12);
    const task = {
      kind: "tasks#task",
      id,
      title: body.title,
      ...(typeof body.notes === "string" ? { notes: body.notes } : {}),
      ...(typeof body.due === "string" ? { due: body.due } : {}),
      status: "needsAction",
      webViewLink: `https://tasks.google.com/task/${id}`,
    };
    const list = tasks.get(listId) ?? [];
    tasks.set(listId, [...list, task]);
    return { status: 200, body: task };
  }

  function events(
    method: string,
    calendarId: string,
    eventId: string | undefined,
    request: GoogleRequest,
  ): GoogleFault {
    if (!grantOf(request)) return unauthenticated();
    const calendar = calendars.get(calendarId) ?? new Map<string, StoredEvent>();
    calendars.set(calendarId, calendar);
    const body = request.body ?? {};

    if (!eventId && method === "POST") {
      const id =
        typeof body.id === "string"
          ? body.id
          : random(16)
              .toLowerCase()
              .replace(/[^a-v0-9]/g, "a");
      if (!/^[a-v0-9]{5,1024}$/.test(id))
        return googleError(400, "Invalid resource id value.", "invalid", "INVALID_ARGUMENT");
      if (calendar.has(id))
        return googleError(
          409,
          "The requested identifier already exists.",
          "duplicate",
          "ALREADY_EXISTS",
        );
      const now = new Date().toISOString();
      const stored: StoredEvent = {
        kind: "calendar#event",
        etag: `"${random(8)}"`,
        ...body,
        id,
        status: "confirmed",
        htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
        created: now,
        updated: now,
      };
      calendar.set(id, stored);
      return { status: 200, body: stored };
    }
    if (!eventId && method === "GET") {
      const from = request.query.timeMin ? Date.parse(request.query.timeMin) : -Infinity;
      const to = request.query.timeMax ? Date.parse(request.query.timeMax) : Infinity;
      const items = [...calendar.values()]
        .filter((e) => e.status !== "cancelled")
        .filter((e) => instant(e.end) > from && instant(e.start) < to)
        .sort((a, b) => instant(a.start) - instant(b.start));
      const max = Number(request.query.maxResults ?? 250);
      return {
        status: 200,
        body: {
          kind: "calendar#events",
          summary: calendarId === "primary" ? email : calendarId,
          timeZone,
          items: items.slice(0, max),
          ...(items.length > max ? { nextPageToken: "page-2" } : {}),
        },
      };
    }
    const existing = eventId ? calendar.get(eventId) : undefined;
    if (!existing) return googleError(404, "Not Found", "notFound", "NOT_FOUND");
    if (method === "GET") return { status: 200, body: existing };
    if (existing.status === "cancelled")
      return googleError(410, "Resource has been deleted", "deleted", "GONE");
    if (method === "PATCH") {
      const updated: StoredEvent = {
        ...existing,
        ...body,
        id: existing.id,
        status: existing.status,
      };
      for (const key of ["start", "end"] as const)
        if (body[key]) updated[key] = { ...(body[key] as object) };
      updated.updated = new Date().toISOString();
      calendar.set(existing.id, updated);
      return { status: 200, body: updated };
    }
    if (method === "DELETE") {
      existing.status = "cancelled";
      return { status: 204, body: undefined };
    }
    return { status: 405, body: { error: { code: 405, message: "Method not allowed" } } };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const text = Buffer.concat(chunks).toString("utf8");
      const type = String(req.headers["content-type"] ?? "");
      let body: Record<string, unknown> | undefined;
      if (text) {
        body = type.includes("json")
          ? (JSON.parse(text) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(text));
      }
      const request: GoogleRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      };
      requests.push(request);

      let answer: GoogleFault;
      const key = `${request.method} ${request.path}`;
      const faultIndex = faults.findIndex((f) => f.match.test(key));
      const match = /\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(url.pathname);
      const tasksMatch = /\/tasks\/v1\/lists\/([^/]+)\/tasks$/.exec(url.pathname);
      if (faultIndex >= 0) {
        answer = faults.splice(faultIndex, 1)[0]!.fault;
      } else if (request.method === "POST" && url.pathname === "/token") {
        answer = token(body ?? {});
      } else if (request.method === "POST" && url.pathname === "/revoke") {
        answer = revoke(request.query.token ?? String(body?.token ?? ""));
      } else if (tasksMatch && request.method === "POST") {
        answer = insertTask(decodeURIComponent(tasksMatch[1]!), request);
      } else if (match) {
        answer = events(
          request.method,
          decodeURIComponent(match[1]!),
          match[2] ? decodeURIComponent(match[2]) : undefined,
          request,
        );
      } else {
        answer = googleError(404, `No fake route for ${key}`, "notFound", "NOT_FOUND");
      }
      if (answer.body === undefined) {
        res.writeHead(answer.status).end();
      } else {
        res
          .writeHead(answer.status, { "content-type": "application/json; charset=utf-8" })
          .end(JSON.stringify(answer.body));
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  Object.assign(fake, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return fake;
}
