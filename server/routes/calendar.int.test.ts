/**
 * Google Calendar over HTTP against a fake Google (the real google-auth-library and
 * @googleapis/calendar clients, pointed at it with GOOGLE_BASE_URL): consent with PKCE, a
 * single-use state and the browser that started it, sealed token custody, refresh and invalid_grant, idempotent event creation,
 * listing, changing and deleting, Google's errors, and the "not configured" answers.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CALENDAR_SCOPE, TASKS_SCOPE } from "../calendar/google.ts";
import { open } from "../crypto/secret-box.ts";
import { api, type ErrorBody } from "../test/api.ts";
import { Browser } from "../test/browser.ts";
import { startFakeGoogle, type FakeGoogle } from "../test/fake-google.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";

const KEY_HEX = randomBytes(32).toString("hex");
const KEY = Buffer.from(KEY_HEX, "hex");

interface CreateBody {
  results: (
    | {
        index: number;
        ok: true;
        status: "created" | "exists" | "planned";
        id: string;
        htmlLink: string | null;
        event: Record<string, unknown>;
      }
    | { index: number; ok: false; error: { code: string; message: string; path?: string } }
  )[];
  warnings: string[];
  counts: Record<string, number>;
}

let google: FakeGoogle;
let server: TestServer;

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startTestServer({
    env: {
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_BASE_URL: google.url,
      ENCRYPTION_KEY: KEY_HEX,
      AUTH_FAILURES_PER_MINUTE: "100000",
      RATE_LIMIT_RPM: "100000",
    },
  });
});
afterAll(async () => {
  await server.close();
  await google.close();
});
beforeEach(() => {
  google.accessTokenTtlSeconds = 3600;
});

const calendarToken = () => server.token({ scopes: ["calendar", "llm"] });

/** The link GET /api/v1/calendar/connect answers `token`, for a browser to open. */
async function connectLink(token: string): Promise<string> {
  const reply = await api<{ url: string; expiresAt: string }>(
    server,
    token,
    "GET",
    "/api/v1/calendar/connect",
  );
  expect(reply.status, reply.text).toBe(200);
  return reply.body.url;
}

const browser = () => new Browser(server.url);

/** Google's consent URL, where `token`'s link takes the browser that opens it. */
async function consentUrl(token: string, by = browser()): Promise<string> {
  return by.openConsentLink(await connectLink(token), google);
}

/** A request to the callback from a browser that holds no cookie of this server. */
function callback(path: string): Promise<{ status: number; html: string; headers: Headers }> {
  return browser().page(path);
}

/** Connects a fresh token (or the given one) through consent; returns its secret and id. */
async function connected(existing?: { id: string; token: string }) {
  const token = existing ?? (await calendarToken());
  const page = await browser().consent(await connectLink(token.token), google);
  expect(page.status, page.html).toBe(200);
  return token;
}

function sqliteFile(): string {
  return server.config.databaseUrl.slice("sqlite:".length);
}

describe("connecting (OAuth with PKCE and a single-use state)", () => {
  it("answers a link that takes a browser to Google's consent: offline, consent, the events and tasks scopes, S256 PKCE, a state", async () => {
    const { token } = await calendarToken();
    const reply = await api<{ url: string; expiresAt: string }>(
      server,
      token,
      "GET",
      "/api/v1/calendar/connect",
    );
    expect(reply.status).toBe(200);
    expect(reply.body.expiresAt).toBe(
      new Date(server.clock.now().getTime() + 60_000).toISOString(),
    );
    const link = new URL(reply.body.url);
    expect(`${link.origin}${link.pathname}`).toBe(
      "http://127.0.0.1:3000/api/v1/calendar/oauth/start",
    );
    expect(link.searchParams.get("ticket")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const start = await browser().fetch(reply.body.url);
    expect(start.status).toBe(302);
    expect(start.headers.get("cache-control")).toBe("no-store");
    expect(start.headers.get("referrer-policy")).toBe("no-referrer");
    const url = new URL(start.headers.get("location")!);
    expect(`${url.origin}${url.pathname}`).toBe(`${google.url}/o/oauth2/v2/auth`);
    const params = url.searchParams;
    expect(params.get("access_type")).toBe("offline");
    expect(params.get("prompt")).toBe("consent");
    expect(params.get("scope")).toBe(`${CALENDAR_SCOPE} ${TASKS_SCOPE}`);
    expect(params.get("response_type")).toBe("code");
    expect(params.get("client_id")).toBe(google.clientId);
    expect(params.get("redirect_uri")).toBe("http://127.0.0.1:3000/api/v1/calendar/oauth/callback");
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("keeps only the hashes of the ticket, the state and the browser's cookie, and a sealed code verifier", async () => {
    const { token, id } = await calendarToken();
    const link = await connectLink(token);
    const ticket = new URL(link).searchParams.get("ticket")!;
    const by = browser();
    const state = new URL(await by.openConsentLink(link, google)).searchParams.get("state")!;
    const cookie = by.cookies.get("officellm_consent")!;
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

    const starts = await server.store.db
      .selectFrom("oauth_starts")
      .selectAll()
      .where("token_id", "=", id)
      .execute();
    expect(starts).toHaveLength(1);
    expect(starts[0]!.ticket_hash).toBe(sha256(ticket));
    const rows = await server.store.db
      .selectFrom("oauth_states")
      .selectAll()
      .where("token_id", "=", id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state_hash).toBe(sha256(state));
    expect(rows[0]!.browser_hash).toBe(sha256(cookie));
    for (const secret of [ticket, state, cookie])
      expect(JSON.stringify([starts, rows])).not.toContain(secret);
    expect(rows[0]!.code_verifier_sealed).toMatch(/^v1\./);
  });

  it("exchanges the code with the verifier, seals the tokens, audits, and says connected to which token", async () => {
    const { token, id } = await server.token({ name: "Ada's laptop", scopes: ["calendar"] });
    const by = browser();
    const consent = google.authorize(await consentUrl(token, by));
    const exchanges = google.requestsTo("POST", /^\/token$/).length;
    const page = await by.page(consent.callbackPath);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.html).toContain("Connected");
    expect(page.html).toContain("ada@example.com");
    // Whose token it is, so that someone who followed another's link can tell.
    expect(page.html).toContain(`OfficeLLM token “Ada&#39;s laptop” (${id})`);
    expect(page.html).toContain("You can close this window");
    // The cookie has done its work.
    expect(page.headers.get("set-cookie")).toMatch(
      /^officellm_consent=;.*Expires=Thu, 01 Jan 1970/,
    );
    expect(page.html).not.toMatch(/<script/i);

    const exchange = google.requestsTo("POST", /^\/token$/).slice(exchanges)[0]!;
    expect(exchange.body).toMatchObject({
      grant_type: "authorization_code",
      code: consent.code,
      client_id: google.clientId,
      client_secret: google.clientSecret,
      redirect_uri: "http://127.0.0.1:3000/api/v1/calendar/oauth/callback",
    });
    const verifier = String(exchange.body!.code_verifier);
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(
      consent.params.get("code_challenge"),
    );
    // The verifier itself was never stored in the clear.
    const states = await server.store.db.selectFrom("oauth_states").selectAll().execute();
    expect(JSON.stringify(states)).not.toContain(verifier);

    const status = await api(server, token, "GET", "/api/v1/calendar/status");
    expect(status.body).toEqual({
      configured: true,
      connected: true,
      needsReconnect: false,
      email: "ada@example.com",
      timeZone: "Europe/Berlin",
      connectedAt: server.clock.now().toISOString(),
    });
    const audit = (await server.store.audit.list()).find(
      (entry) => entry.action === "calendar.connected" && entry.actorTokenId === id,
    );
    expect(audit).toMatchObject({ subject: "ada@example.com" });
    expect(JSON.stringify(audit)).not.toMatch(/ya29\.|1\/\//);
  });

  it("stores no Google token in plaintext: not in the row, not in the SQLite files", async () => {
    const { id } = await connected();
    const row = await server.store.calendar.getConnection(id);
    const credentials = JSON.parse(open(KEY, row!.tokens_sealed, `calendar-connection:${id}`)) as {
      refresh_token: string;
      access_token: string;
    };
    expect(google.refreshTokens()).toContain(credentials.refresh_token);
    expect(row!.tokens_sealed).not.toContain(credentials.refresh_token);
    expect(row!.tokens_sealed).not.toContain(credentials.access_token);
    expect(JSON.stringify(row)).not.toMatch(/ya29\.|1\/\//);
    // Sealed for this row only: another token's context does not open it.
    expect(() => open(KEY, row!.tokens_sealed, "calendar-connection:someone-else")).toThrow();

    let sealedOnDisk = false;
    for (const file of [sqliteFile(), `${sqliteFile()}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      // The scan sees the row: its sealed value is there.
      sealedOnDisk ||= bytes.includes(Buffer.from(row!.tokens_sealed));
      for (const secret of google.refreshTokens())
        expect(bytes.includes(Buffer.from(secret)), `${secret} in ${file}`).toBe(false);
      expect(bytes.includes(Buffer.from(credentials.access_token))).toBe(false);
    }
    expect(sealedOnDisk).toBe(true);
  });

  it("refuses a forged state with a 400 page", async () => {
    const page = await callback("/api/v1/calendar/oauth/callback?state=forged-state&code=4/abc");
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.html).toContain("not issued by OfficeLLM");
  });

  it("refuses a callback without state", async () => {
    const page = await callback("/api/v1/calendar/oauth/callback?code=4/abc");
    expect(page.status).toBe(400);
    expect(page.html).toContain("no state");
  });

  it("refuses a reused state, and the second use changes nothing", async () => {
    const { token } = await calendarToken();
    const by = browser();
    const consent = google.authorize(await consentUrl(token, by));
    expect((await by.page(consent.callbackPath)).status).toBe(200);
    const exchanges = google.requestsTo("POST", /^\/token$/).length;
    const again = await by.page(consent.callbackPath);
    expect(again.status).toBe(400);
    expect(again.html).toContain("used already");
    expect(google.requestsTo("POST", /^\/token$/)).toHaveLength(exchanges);
  });

  it("refuses an expired state (after 10 minutes)", async () => {
    const { token } = await calendarToken();
    const by = browser();
    const consent = google.authorize(await consentUrl(token, by));
    server.clock.advance(10 * 60 * 1000 + 1000);
    const page = await by.page(consent.callbackPath);
    expect(page.status).toBe(400);
    expect(page.html).toContain("expired");
    const status = await api<{ connected: boolean }>(
      server,
      token,
      "GET",
      "/api/v1/calendar/status",
    );
    expect(status.body.connected).toBe(false);
  });

  it("binds the state to the token that asked: only that token is connected", async () => {
    const a = await calendarToken();
    const b = await calendarToken();
    await connected(a);
    const statusA = await api<{ connected: boolean }>(
      server,
      a.token,
      "GET",
      "/api/v1/calendar/status",
    );
    const statusB = await api<{ connected: boolean }>(
      server,
      b.token,
      "GET",
      "/api/v1/calendar/status",
    );
    expect(statusA.body.connected).toBe(true);
    expect(statusB.body.connected).toBe(false);
  });

  it("refuses a consent completed in another browser than the one that started it: nothing is connected", async () => {
    const sender = await calendarToken();
    // The holder of a token follows its link to Google's consent page, in their own browser…
    const consentPage = await consentUrl(sender.token, browser());
    // …and sends that page to a colleague, who consents in theirs: Google sends the colleague's
    // browser back with a code for the colleague's calendar.
    const colleague = browser();
    const exchanges = google.requestsTo("POST", /^\/token$/).length;
    const page = await colleague.page(google.authorize(consentPage).callbackPath);

    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.html).toContain("not started in this browser");
    expect(page.html).toContain("nothing was connected");
    // The code was never exchanged, and the sender's token has no calendar.
    expect(google.requestsTo("POST", /^\/token$/)).toHaveLength(exchanges);
    expect(await server.store.calendar.getConnection(sender.id)).toBeUndefined();
    const status = await api<{ connected: boolean }>(
      server,
      sender.token,
      "GET",
      "/api/v1/calendar/status",
    );
    expect(status.body.connected).toBe(false);
  });

  it("lets a link start a consent once, in the first browser that opens it, within 60 seconds", async () => {
    const { token } = await calendarToken();
    const link = await connectLink(token);
    expect((await browser().fetch(link)).status).toBe(302);
    const again = await browser().page(link);
    expect(again.status).toBe(400);
    expect(again.html).toContain("opened already");
    expect(again.headers.get("set-cookie")).toBeNull();

    const late = await connectLink(token);
    server.clock.advance(61_000);
    const expired = await browser().page(late);
    expect(expired.status).toBe(400);
    expect(expired.html).toContain("expired");

    const forged = await browser().page("/api/v1/calendar/oauth/start?ticket=forged");
    expect(forged.status).toBe(400);
    expect(forged.html).toContain("not issued by OfficeLLM");
    const bare = await browser().page("/api/v1/calendar/oauth/start");
    expect(bare.status).toBe(400);
    expect(bare.html).toContain("no ticket");
  });

  it("binds the browser with an HttpOnly, SameSite=Lax cookie for the OAuth paths, Secure over https", async () => {
    const { token } = await calendarToken();
    const start = await browser().fetch(await connectLink(token));
    expect(start.headers.get("set-cookie")).toMatch(
      /^officellm_consent=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/api\/v1\/calendar\/oauth\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );

    const behindHttps = await startTestServer({
      env: {
        GOOGLE_CLIENT_ID: google.clientId,
        GOOGLE_CLIENT_SECRET: google.clientSecret,
        GOOGLE_BASE_URL: google.url,
        ENCRYPTION_KEY: KEY_HEX,
        GOOGLE_REDIRECT_URI: "https://officellm.example.com/proxied/calendar/oauth/callback",
      },
    });
    try {
      const holder = await behindHttps.token({ scopes: ["calendar"] });
      const reply = await api<{ url: string }>(
        behindHttps,
        holder.token,
        "GET",
        "/api/v1/calendar/connect",
      );
      // Next to the callback, wherever the proxy puts it.
      expect(reply.body.url).toMatch(
        /^https:\/\/officellm\.example\.com\/proxied\/calendar\/oauth\/start\?ticket=/,
      );
      const secure = await new Browser(behindHttps.url).fetch(
        `/api/v1/calendar/oauth/start${new URL(reply.body.url).search}`,
      );
      expect(secure.status).toBe(302);
      expect(secure.headers.get("set-cookie")).toMatch(
        /; Path=\/proxied\/calendar\/oauth\/; .*HttpOnly; Secure; SameSite=Lax$/,
      );
    } finally {
      await behindHttps.close();
    }
  });

  it("says not connected when the user declines, or does not grant the calendar scope", async () => {
    const { token } = await calendarToken();
    const by = browser();
    const state = new URL(await consentUrl(token, by)).searchParams.get("state")!;
    const declined = await by.page(
      `/api/v1/calendar/oauth/callback?state=${state}&error=access_denied`,
    );
    expect(declined.status).toBe(400);
    expect(declined.html).toContain("not granted");

    const page = await browser().consent(await connectLink(token), google, {
      grantScope: "openid",
    });
    expect(page.status).toBe(400);
    expect(page.html).toContain("not granted");
  });

  it("refuses a state whose OfficeLLM token was revoked meanwhile", async () => {
    const created = await calendarToken();
    const by = browser();
    const consent = google.authorize(await consentUrl(created.token, by));
    await server.tokens.revoke(created.id);
    const page = await by.page(consent.callbackPath);
    expect(page.status).toBe(400);
    expect(page.html).toContain("no longer valid");
  });

  it("needs the calendar scope", async () => {
    const { token } = await server.token({ scopes: ["llm"] });
    const reply = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/connect");
    expect(reply.status).toBe(403);
  });
});

describe("refresh and invalid_grant", () => {
  it("refreshes an expiring access token and saves the new one sealed", async () => {
    google.accessTokenTtlSeconds = 60; // within the client's 5-minute refresh margin
    const { id, token } = await connected();
    const before = (await server.store.calendar.getConnection(id))!.tokens_sealed;
    const refreshes = google
      .requestsTo("POST", /^\/token$/)
      .filter((r) => r.body?.grant_type === "refresh_token").length;
    const reply = await api(server, token, "GET", "/api/v1/calendar/events");
    expect(reply.status, reply.text).toBe(200);
    const after = google
      .requestsTo("POST", /^\/token$/)
      .filter((r) => r.body?.grant_type === "refresh_token");
    expect(after.length).toBe(refreshes + 1);
    expect(after.at(-1)!.body).toMatchObject({
      client_id: google.clientId,
      client_secret: google.clientSecret,
    });
    const row = (await server.store.calendar.getConnection(id))!;
    expect(row.tokens_sealed).not.toBe(before);
    const saved = JSON.parse(open(KEY, row.tokens_sealed, `calendar-connection:${id}`)) as {
      access_token: string;
      refresh_token: string;
    };
    const lastListing = google.requestsTo("GET", /\/events$/).at(-1)!;
    expect(lastListing.headers.authorization).toBe(`Bearer ${saved.access_token}`);
    expect(saved.refresh_token).toBe(after.at(-1)!.body!.refresh_token);
  });

  it("refreshes and retries once when Google refuses an access token before its time", async () => {
    const { token } = await connected();
    google.expireAccessTokens();
    const reply = await api(server, token, "GET", "/api/v1/calendar/events");
    expect(reply.status, reply.text).toBe(200);
  });

  it("marks the connection for reconnection on invalid_grant, and every call says so", async () => {
    const { token, id } = await connected();
    google.revokeAllGrants();
    google.expireAccessTokens();
    const reply = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events");
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe("not_connected");
    expect(reply.body.error.message).toMatch(/^Reconnect Google Calendar/);
    expect((await server.store.calendar.getConnection(id))!.needs_reconnect).toBe(1);

    const status = await api(server, token, "GET", "/api/v1/calendar/status");
    expect(status.body).toMatchObject({ configured: true, connected: false, needsReconnect: true });

    const seen = google.requests.length;
    for (const [method, path, body] of [
      ["GET", "/api/v1/calendar/events", undefined],
      [
        "POST",
        "/api/v1/calendar/events",
        { events: [{ summary: "x", start: "2026-12-01" }], timezone: "UTC" },
      ],
      ["PATCH", "/api/v1/calendar/events/abcdef", { summary: "y" }],
      ["DELETE", "/api/v1/calendar/events/abcdef", undefined],
    ] as const) {
      const again = await api<ErrorBody>(server, token, method, path, body);
      expect(again.status, `${method} ${path}`).toBe(409);
      expect(again.body.error.message).toMatch(/^Reconnect Google Calendar/);
    }
    expect(google.requests.length, "no call reaches Google").toBe(seen);

    // Connecting again clears the mark.
    await connected({ id, token });
    const fixed = await api(server, token, "GET", "/api/v1/calendar/status");
    expect(fixed.body).toMatchObject({ connected: true, needsReconnect: false });
    expect((await api(server, token, "GET", "/api/v1/calendar/events")).status).toBe(200);
  });

  it("answers 502 when Google's token endpoint fails, logging no secret", async () => {
    google.accessTokenTtlSeconds = 60;
    const { token } = await connected();
    for (let i = 0; i < 4; i++)
      google.failNext(/^POST \/token$/, { status: 500, body: { error: "internal_failure" } });
    const reply = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events");
    expect(reply.status).toBe(502);
    expect(reply.body.error.code).toBe("upstream_error");
    expect(reply.text).not.toMatch(/ya29\.|1\/\/|fake-google-client-secret/);
  });

  it("answers 409 not_connected before any connection", async () => {
    const { token } = await calendarToken();
    const reply = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events");
    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({ code: "not_connected" });
    expect(reply.body.error.message).toContain("/api/v1/calendar/connect");
  });
});

describe("creating events", () => {
  const rows = [
    {
      summary: "Quarterly review",
      start: "2026-03-10T13:00",
      end: "2026-03-10T14:30",
      location: "Room 4B",
      attendees: ["Alice@Example.com", "bob@example.com"],
    },
    { summary: "Offsite", start: "2026-03-20", end: "2026-03-22" },
    {
      summary: "Standup",
      start: "2026-03-09T09:00:00-04:00",
      durationMinutes: 15,
      recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
    },
  ];

  it("sends Google exact bodies: ids, start/end with timeZone, all-day dates", async () => {
    const { token } = await connected();
    const inserts = google.requestsTo("POST", /\/events$/).length;
    const reply = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      events: rows,
      timezone: "America/New_York",
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.counts).toEqual({ created: 3, exists: 0, planned: 0, failed: 0 });
    const sent = google.requestsTo("POST", /\/events$/).slice(inserts);
    expect(sent).toHaveLength(3);
    expect(sent.every((r) => r.path === "/calendar/v3/calendars/primary/events")).toBe(true);
    const bodies = sent
      .map((r) => r.body!)
      .sort((a, b) => String(a.summary).localeCompare(String(b.summary)));
    const ids = reply.body.results.map((r) => (r.ok ? r.id : ""));
    for (const id of ids) expect(id).toMatch(/^[a-v0-9]{5,1024}$/);
    expect(bodies).toEqual([
      {
        id: ids[1],
        summary: "Offsite",
        start: { date: "2026-03-20" },
        end: { date: "2026-03-22" },
      },
      {
        id: ids[0],
        summary: "Quarterly review",
        start: { dateTime: "2026-03-10T13:00:00-04:00", timeZone: "America/New_York" },
        end: { dateTime: "2026-03-10T14:30:00-04:00", timeZone: "America/New_York" },
        location: "Room 4B",
        attendees: [{ email: "alice@example.com" }, { email: "bob@example.com" }],
      },
      {
        id: ids[2],
        summary: "Standup",
        start: { dateTime: "2026-03-09T09:00:00-04:00", timeZone: "America/New_York" },
        end: { dateTime: "2026-03-09T09:15:00-04:00", timeZone: "America/New_York" },
        recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
      },
    ]);
    expect(reply.body.results[0]).toMatchObject({
      index: 0,
      ok: true,
      status: "created",
      htmlLink: expect.stringContaining(ids[0]!),
      event: { summary: "Quarterly review", start: "2026-03-10T13:00:00-04:00", allDay: false },
    });
  });

  it("creates each event once when the same rows come twice (409 → exists)", async () => {
    const { token } = await connected();
    const sheet = [
      { summary: "Budget call", start: "2026-04-02T10:00", end: "2026-04-02T11:00" },
      { summary: "Team lunch", start: "2026-04-03T12:00" },
      { summary: "Holiday", start: "2026-04-06", allDay: true },
    ];
    const body = { events: sheet, timezone: "Europe/Berlin" };
    const first = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", body);
    expect(first.body.counts).toMatchObject({ created: 3, exists: 0 });
    const second = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", body);
    expect(second.status).toBe(200);
    expect(second.body.counts).toMatchObject({ created: 0, exists: 3, failed: 0 });
    expect(second.body.results.map((r) => r.ok && r.id)).toEqual(
      first.body.results.map((r) => r.ok && r.id),
    );
    expect(second.body.results[0]).toMatchObject({
      status: "exists",
      event: { summary: "Budget call" },
      htmlLink: expect.any(String),
    });
    const primary = [...google.calendars.get("primary")!.values()];
    for (const row of sheet)
      expect(
        primary.filter((e) => e.summary === row.summary),
        row.summary,
      ).toHaveLength(1);
  });

  it("gives another token, or changed content, a different id", async () => {
    const a = await connected();
    const b = await connected();
    const event = { summary: "Same", start: "2026-05-01T09:00" };
    const create = async (token: string, e: object) =>
      (
        await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
          events: [e],
          timezone: "UTC",
          dryRun: true,
        })
      ).body.results[0] as { id: string };
    const idA = (await create(a.token, event)).id;
    expect((await create(b.token, event)).id).not.toBe(idA);
    expect((await create(a.token, { ...event, summary: "Other" })).id).not.toBe(idA);
    // The same instant written with another offset is the same event.
    expect((await create(a.token, { ...event, start: "2026-05-01T11:00:00+02:00" })).id).toBe(idA);
  });

  it("reports per row: one bad row never blocks the others", async () => {
    const { token } = await connected();
    google.failNext(/^POST .*\/events$/, {
      status: 403,
      body: {
        error: {
          code: 403,
          message: "Rate Limit Exceeded",
          errors: [{ domain: "usageLimits", reason: "rateLimitExceeded" }],
        },
      },
    });
    const reply = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      events: [
        { summary: "Rate limited", start: "2026-06-01T09:00" },
        { summary: "No start" },
        { summary: "Backwards", start: "2026-06-01T10:00", end: "2026-06-01T09:00" },
        { summary: "Fine", start: "2026-06-02T10:00" },
        { summary: "Bad zone", start: "2026-06-02T10:00", timeZone: "Mars/Olympus" },
        { summary: "Bad mail", start: "2026-06-02", attendees: ["not-an-address"] },
      ],
      timezone: "UTC",
    });
    expect(reply.status).toBe(200);
    const byIndex = reply.body.results;
    expect(byIndex.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(byIndex[0]).toMatchObject({ ok: false, error: { code: "rate_limited" } });
    expect(byIndex[1]).toMatchObject({
      ok: false,
      error: { code: "invalid_request", path: "events.1.start" },
    });
    expect(byIndex[2]).toMatchObject({ ok: false, error: { path: "events.2.end" } });
    expect(byIndex[3]).toMatchObject({ ok: true, status: "created" });
    expect(byIndex[4]).toMatchObject({ ok: false, error: { path: "events.4.timeZone" } });
    expect(byIndex[5]).toMatchObject({ ok: false, error: { path: "events.5.attendees.0" } });
    expect(reply.body.counts).toEqual({ created: 1, exists: 0, planned: 0, failed: 5 });
  });

  it("creates an event twice in one request only once", async () => {
    const { token } = await connected();
    const event = { summary: "Twice", start: "2026-07-01T09:00" };
    const reply = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      events: [event, event],
      timezone: "UTC",
    });
    expect(reply.body.results.map((r) => r.ok && r.status)).toEqual(["created", "exists"]);
    expect(
      [...google.calendars.get("primary")!.values()].filter((e) => e.summary === "Twice"),
    ).toHaveLength(1);
  });

  it("creates from text, and a dry run touches nothing", async () => {
    const { token } = await connected();
    const body = {
      text: "Lunch with Sam at Café Rouge next Tuesday at 1pm for 90 minutes",
      timezone: "America/New_York",
      now: "2026-03-05T10:00:00-05:00",
    };
    const seen = google.requests.length;
    const dry = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      ...body,
      dryRun: true,
    });
    expect(dry.status, dry.text).toBe(200);
    expect(google.requests.length).toBe(seen);
    expect(dry.body.results).toEqual([
      {
        index: 0,
        ok: true,
        status: "planned",
        id: expect.stringMatching(/^ollm[a-v0-9]{40}$/),
        htmlLink: null,
        event: expect.objectContaining({
          summary: "Lunch with Sam",
          start: "2026-03-10T13:00:00-04:00",
          end: "2026-03-10T14:30:00-04:00",
          location: "Café Rouge",
        }),
      },
    ]);
    const real = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", body);
    expect(real.body.results[0]).toMatchObject({
      status: "created",
      id: (dry.body.results[0] as { id: string }).id,
    });
    expect(google.requestsTo("POST", /\/events$/).at(-1)!.body).toEqual({
      id: (dry.body.results[0] as { id: string }).id,
      summary: "Lunch with Sam",
      start: { dateTime: "2026-03-10T13:00:00-04:00", timeZone: "America/New_York" },
      end: { dateTime: "2026-03-10T14:30:00-04:00", timeZone: "America/New_York" },
      location: "Café Rouge",
    });
  });

  it("answers text without a date with no results and a warning", async () => {
    const { token } = await connected();
    const reply = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      text: "buy milk",
      timezone: "UTC",
    });
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual([]);
    expect(reply.body.warnings).toEqual([
      "No date or time found in the text, so no event was made",
    ]);
  });

  it("validates the request itself", async () => {
    const { token } = await connected();
    const cases: [object, string][] = [
      [{ timezone: "UTC" }, "body.events"],
      [{ events: [{}], text: "x", timezone: "UTC" }, "body.text"],
      [{ text: "lunch tomorrow", timezone: "Mars/Base" }, "body.timezone"],
      [{ text: "lunch tomorrow", timezone: "UTC", now: "yesterday" }, "body.now"],
    ];
    for (const [body, path] of cases) {
      const reply = await api<ErrorBody>(server, token, "POST", "/api/v1/calendar/events", body);
      expect(reply.status, path).toBe(400);
      expect(reply.body.error.details?.map((d) => d.path)).toContain(path);
    }
  });
});

describe("listing, changing and deleting events", () => {
  it("lists between from and to, expanding recurring events, by start time", async () => {
    const { token } = await connected();
    await api(server, token, "POST", "/api/v1/calendar/events", {
      events: [
        { summary: "Later", start: "2026-08-10T15:00" },
        { summary: "Sooner", start: "2026-08-10T09:00" },
        { summary: "Outside", start: "2026-09-30T09:00" },
      ],
      timezone: "Europe/Berlin",
    });
    const reply = await api<{ events: { summary: string; start: string }[]; timeZone: string }>(
      server,
      token,
      "GET",
      "/api/v1/calendar/events?from=2026-08-10&to=2026-08-11&timezone=Europe/Berlin",
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.events.map((e) => e.summary)).toEqual(["Sooner", "Later"]);
    expect(reply.body.events[0]!.start).toBe("2026-08-10T09:00:00+02:00");
    expect(reply.body.timeZone).toBe("Europe/Berlin");
    const query = google.requestsTo("GET", /\/events$/).at(-1)!.query;
    expect(query).toMatchObject({
      timeMin: "2026-08-10T00:00:00.000+02:00",
      timeMax: "2026-08-11T00:00:00.000+02:00",
      singleEvents: "true",
      orderBy: "startTime",
      maxResults: "250",
    });
  });

  it("refuses a range that ends before it starts, or dates that are not dates", async () => {
    const { token } = await connected();
    const backwards = await api<ErrorBody>(
      server,
      token,
      "GET",
      "/api/v1/calendar/events?from=2026-08-10&to=2026-08-01",
    );
    expect(backwards.status).toBe(400);
    const bad = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events?from=soon");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.[0]?.path).toBe("query.from");
  });

  it("patches fields, and moving the start keeps the length", async () => {
    const { token } = await connected();
    const created = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      events: [{ summary: "Planning", start: "2026-10-05T10:00", end: "2026-10-05T11:30" }],
      timezone: "Europe/Berlin",
    });
    const id = (created.body.results[0] as { id: string }).id;
    const reply = await api<Record<string, unknown>>(
      server,
      token,
      "PATCH",
      `/api/v1/calendar/events/${id}`,
      { summary: "Planning (moved)", start: "2026-10-26T14:00", location: "Berlin office" },
    );
    expect(reply.status, reply.text).toBe(200);
    const sent = google.requestsTo("PATCH", new RegExp(`/events/${id}$`)).at(-1)!;
    expect(sent.body).toEqual({
      summary: "Planning (moved)",
      location: "Berlin office",
      start: { dateTime: "2026-10-26T14:00:00+01:00", timeZone: "Europe/Berlin", date: null },
      end: { dateTime: "2026-10-26T15:30:00+01:00", timeZone: "Europe/Berlin", date: null },
    });
    expect(reply.body).toMatchObject({
      id,
      summary: "Planning (moved)",
      start: "2026-10-26T14:00:00+01:00",
      end: "2026-10-26T15:30:00+01:00",
      location: "Berlin office",
    });
  });

  it("deletes an event (204); deleting it again is 404", async () => {
    const { token } = await connected();
    const created = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      events: [{ summary: "Doomed", start: "2026-11-02" }],
      timezone: "UTC",
    });
    const id = (created.body.results[0] as { id: string }).id;
    const removed = await server.fetch(`/api/v1/calendar/events/${id}`, {
      method: "DELETE",
      token,
    });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe("");
    expect(google.requestsTo("DELETE", /\/events\//).at(-1)!.path).toBe(
      `/calendar/v3/calendars/primary/events/${id}`,
    );
    const again = await api<ErrorBody>(server, token, "DELETE", `/api/v1/calendar/events/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_found");
  });

  it("maps Google's errors to clear envelope errors", async () => {
    const { token } = await connected();
    google.failNext(/^GET .*\/events$/, {
      status: 403,
      body: {
        error: {
          code: 403,
          message: "Quota exceeded",
          errors: [{ domain: "usageLimits", reason: "quotaExceeded" }],
        },
      },
    });
    const quota = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events");
    expect(quota.status).toBe(429);
    expect(quota.body.error.code).toBe("rate_limited");
    expect(quota.headers.get("retry-after")).toBe("60");

    google.failNext(/^GET .*\/events$/, {
      status: 403,
      body: { error: { code: 403, message: "Forbidden", errors: [{ reason: "forbidden" }] } },
    });
    const forbidden = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events");
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toContain("Google Calendar does not allow");

    const missing = await api<ErrorBody>(
      server,
      token,
      "PATCH",
      "/api/v1/calendar/events/nosuchevent",
      {
        summary: "x",
      },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("no such event");

    for (let i = 0; i < 3; i++)
      google.failNext(/^GET .*\/events$/, {
        status: 503,
        body: { error: { code: 503, message: "Backend Error" } },
      });
    const down = await api<ErrorBody>(server, token, "GET", "/api/v1/calendar/events");
    expect(down.status).toBe(502);
    expect(down.body.error.code).toBe("upstream_error");

    google.failNext(/^POST .*\/events$/, {
      status: 400,
      body: {
        error: { code: 400, message: "Invalid recurrence rule.", errors: [{ reason: "invalid" }] },
      },
    });
    const refused = await api<CreateBody>(server, token, "POST", "/api/v1/calendar/events", {
      events: [{ summary: "Odd", start: "2026-12-01T09:00", recurrence: ["RRULE:FREQ=NEVER"] }],
      timezone: "UTC",
    });
    expect(refused.body.results[0]).toMatchObject({
      ok: false,
      error: {
        code: "invalid_request",
        message: expect.stringContaining("Invalid recurrence rule"),
      },
    });
  });
});

describe("disconnecting", () => {
  it("revokes at Google, forgets the grant and audits it", async () => {
    const { token, id } = await connected();
    const row = (await server.store.calendar.getConnection(id))!;
    const { refresh_token } = JSON.parse(
      open(KEY, row.tokens_sealed, `calendar-connection:${id}`),
    ) as {
      refresh_token: string;
    };
    const reply = await api(server, token, "DELETE", "/api/v1/calendar/connection");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ disconnected: true, revokedAtGoogle: true });
    const revocation = google.requestsTo("POST", /^\/revoke$/).at(-1)!;
    expect(revocation.query.token ?? revocation.body?.token).toBe(refresh_token);
    expect(await server.store.calendar.getConnection(id)).toBeUndefined();
    expect(
      (await server.store.audit.list()).some(
        (entry) => entry.action === "calendar.disconnected" && entry.actorTokenId === id,
      ),
    ).toBe(true);
    const status = await api(server, token, "GET", "/api/v1/calendar/status");
    expect(status.body).toEqual({ configured: true, connected: false, needsReconnect: false });
    const again = await api<ErrorBody>(server, token, "DELETE", "/api/v1/calendar/connection");
    expect(again.status).toBe(404);
  });

  it("still forgets the grant when Google already revoked it", async () => {
    const { token, id } = await connected();
    google.revokeAllGrants();
    const reply = await api(server, token, "DELETE", "/api/v1/calendar/connection");
    expect(reply.body).toEqual({ disconnected: true, revokedAtGoogle: false });
    expect(await server.store.calendar.getConnection(id)).toBeUndefined();
  });
});

describe("secrets", () => {
  it("never writes a Google token or the client secret to the log", () => {
    const log = server.logs.text;
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [...google.refreshTokens(), google.clientSecret])
      expect(log).not.toContain(secret);
    expect(log).not.toMatch(/ya29\./);
  });
});

describe("without Google settings", () => {
  let bare: TestServer;
  let token: string;
  beforeAll(async () => {
    bare = await startTestServer({ env: { RATE_LIMIT_RPM: "100000" } });
    token = (await bare.token({ scopes: ["calendar", "llm"] })).token;
  });
  afterAll(() => bare.close());

  it("answers 503 unavailable naming the settings on every endpoint that needs Google", async () => {
    const calls: [string, string, unknown?][] = [
      ["GET", "/api/v1/calendar/connect"],
      ["GET", "/api/v1/calendar/oauth/callback?state=x&code=y"],
      ["DELETE", "/api/v1/calendar/connection"],
      ["GET", "/api/v1/calendar/events"],
      [
        "POST",
        "/api/v1/calendar/events",
        { events: [{ summary: "x", start: "2026-12-01" }], timezone: "UTC" },
      ],
      ["PATCH", "/api/v1/calendar/events/abcdef", { summary: "y" }],
      ["DELETE", "/api/v1/calendar/events/abcdef"],
    ];
    for (const [method, path, body] of calls) {
      const reply = await api<ErrorBody>(bare, token, method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(503);
      expect(reply.body.error.code).toBe("unavailable");
      expect(reply.body.error.message).toContain("GOOGLE_CLIENT_ID");
      expect(reply.body.error.message).toContain("ENCRYPTION_KEY");
    }
  });

  it("reports configured: false, and still parses and dry-runs", async () => {
    const status = await api(bare, token, "GET", "/api/v1/calendar/status");
    expect(status.body).toEqual({ configured: false, connected: false, needsReconnect: false });
    const parsed = await api<{ events: unknown[] }>(bare, token, "POST", "/api/v1/calendar/parse", {
      text: "Dentist tomorrow at 9am",
      timezone: "Europe/Berlin",
    });
    expect(parsed.status).toBe(200);
    expect(parsed.body.events).toHaveLength(1);
    const dry = await api<CreateBody>(bare, token, "POST", "/api/v1/calendar/events", {
      text: "Dentist tomorrow at 9am",
      timezone: "Europe/Berlin",
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.counts).toMatchObject({ planned: 1 });
  });
});
