/**
 * POST /api/v1/webhook with the offline demo provider (so the rules decide): calendar-like texts
 * become events in the (fake) Google Calendar, questions become completions; scopes, dry runs,
 * the calendar's own timezone, and "not configured".
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type ErrorBody } from "../test/api.ts";
import { Browser } from "../test/browser.ts";
import { startFakeGoogle, type FakeGoogle } from "../test/fake-google.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";

interface WebhookBody {
  route: "calendar" | "task" | "completion";
  decidedBy: "rules" | "model";
  result: {
    results?: { ok: boolean; status?: string; event?: { summary: string; start: string } }[];
    warnings?: string[];
    counts?: Record<string, number>;
    text?: string;
    model?: string;
  };
}

let google: FakeGoogle;
let server: TestServer;
let token: string;

beforeAll(async () => {
  google = await startFakeGoogle({ timeZone: "Europe/Berlin" });
  server = await startTestServer({
    env: {
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_BASE_URL: google.url,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      RATE_LIMIT_RPM: "100000",
    },
  });
  token = (await server.token({ scopes: ["llm", "calendar"] })).token;
  const consent = await api<{ url: string }>(server, token, "GET", "/api/v1/calendar/connect");
  const page = await new Browser(server.url).consent(consent.body.url, google);
  expect(page.status).toBe(200);
});
afterAll(async () => {
  await server.close();
  await google.close();
});

const webhook = (body: Record<string, unknown>, as = token) =>
  api<WebhookBody>(server, as, "POST", "/api/v1/webhook", body);

describe("routing with the demo provider (rules)", () => {
  const calendarTexts = [
    "Schedule lunch with Sam tomorrow at 1pm",
    "Book a dentist appointment on Friday at 9am",
    "Team meeting next Monday 10-11am",
    "Remind me to call the bank tomorrow at 4pm",
    "Coffee with Ana at Café Rouge on December 3 at 8:30am",
  ];
  for (const text of calendarTexts) {
    it(`routes "${text}" to the calendar`, async () => {
      const reply = await webhook({ text, timezone: "Europe/Berlin", dryRun: true });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ route: "calendar", decidedBy: "rules" });
      expect(reply.body.result.counts).toMatchObject({ planned: 1, failed: 0 });
    });
  }

  const questions = [
    "What is the capital of France?",
    "When is the meeting tomorrow?",
    "Write a short note to the team about lunch tomorrow at 1pm",
    "Summarize the quarterly numbers",
    "Is 3pm tomorrow a good time for a call?",
    "The invoice is due next Friday",
  ];
  for (const text of questions) {
    it(`routes "${text}" to a completion`, async () => {
      const reply = await webhook({ text, timezone: "Europe/Berlin" });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ route: "completion", decidedBy: "rules" });
      expect(reply.body.result.text).toContain("[demo]");
      expect(reply.body.result.model).toBe("demo");
      expect(reply.headers.get("x-officellm-model")).toBe("demo");
    });
  }
});

describe("calendar requests", () => {
  it("creates the event once; the same text again reports it as existing", async () => {
    const text = "Lunch with Sam on December 8 at 1pm for 90 minutes";
    const first = await webhook({ text, timezone: "Europe/Berlin" });
    expect(first.status, first.text).toBe(200);
    expect(first.body.result.results![0]).toMatchObject({
      ok: true,
      status: "created",
      event: { summary: "Lunch with Sam", start: "2026-12-08T13:00:00+01:00" },
    });
    expect(google.requestsTo("POST", /\/events$/).at(-1)!.body).toMatchObject({
      summary: "Lunch with Sam",
      start: { dateTime: "2026-12-08T13:00:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-12-08T14:30:00+01:00", timeZone: "Europe/Berlin" },
    });
    const second = await webhook({ text, timezone: "Europe/Berlin" });
    expect(second.body.result.results![0]).toMatchObject({ ok: true, status: "exists" });
  });

  it("uses the connected calendar's timezone when none is given", async () => {
    const reply = await webhook({ text: "Call Bob tomorrow at 9am", dryRun: true });
    expect(reply.body.result.results![0]!.event!.start).toBe("2026-11-26T09:00:00+01:00");
  });

  it("falls back to UTC, with a warning, without a timezone or a calendar", async () => {
    const other = (await server.token({ scopes: ["llm", "calendar"] })).token;
    const reply = await webhook({ text: "Call Bob tomorrow at 9am", dryRun: true }, other);
    expect(reply.body.result.results![0]!.event!.start).toBe("2026-11-26T09:00:00Z");
    expect(reply.body.result.warnings).toContain(
      "No timezone was given and none is known for the calendar; used UTC",
    );
  });

  it("needs the calendar scope for a calendar text, and the llm scope for the route", async () => {
    const llmOnly = (await server.token({ scopes: ["llm"] })).token;
    const refused = await api<ErrorBody>(server, llmOnly, "POST", "/api/v1/webhook", {
      text: "Schedule lunch with Sam tomorrow at 1pm",
      timezone: "UTC",
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("'calendar' scope");
    const question = await webhook({ text: "What is 2 + 2?" }, llmOnly);
    expect(question.body.route).toBe("completion");

    const calendarOnly = (await server.token({ scopes: ["calendar"] })).token;
    const noLlm = await api<ErrorBody>(server, calendarOnly, "POST", "/api/v1/webhook", {
      text: "Schedule lunch with Sam tomorrow at 1pm",
    });
    expect(noLlm.status).toBe(403);
  });

  it("validates the body", async () => {
    const empty = await api<ErrorBody>(server, token, "POST", "/api/v1/webhook", { text: "  " });
    expect(empty.status).toBe(400);
    const zone = await api<ErrorBody>(server, token, "POST", "/api/v1/webhook", {
      text: "lunch tomorrow",
      timezone: "Moon/Base",
    });
    expect(zone.status).toBe(400);
    expect(zone.body.error.details?.[0]?.path).toBe("body.timezone");
  });
});

describe("to-dos become Google Tasks", () => {
  it("asks for the tasks scope on the same consent as the calendar", async () => {
    const [connection] = await server.store.db
      .selectFrom("calendar_connections")
      .select("scope")
      .execute();
    expect(connection!.scope.split(" ").sort()).toEqual([
      "https://www.googleapis.com/auth/calendar.events",
      "https://www.googleapis.com/auth/tasks",
    ]);
  });

  it("creates a task with the day it is due, and previews one in a dry run", async () => {
    const preview = await webhook({
      text: "Remember to pay the rent on Friday",
      now: "2026-11-25T09:00:00+01:00",
      dryRun: true,
    });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({
      route: "task",
      decidedBy: "rules",
      result: {
        dryRun: true,
        task: { id: null, title: "Pay the rent on Friday", due: "2026-11-27" },
      },
    });
    expect(google.tasks.get("@default") ?? []).toHaveLength(0);

    const reply = await webhook({ text: "todo: renew the office lease" });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({
      route: "task",
      result: { dryRun: false, task: { title: "Renew the office lease", due: null } },
    });
    expect(google.tasks.get("@default")).toEqual([
      expect.objectContaining({ title: "Renew the office lease", status: "needsAction" }),
    ]);
  });

  it("keeps texts that ask for an event on the calendar, and questions as completions", async () => {
    const event = await webhook({
      text: "Remind me to call the bank tomorrow at 4pm",
      dryRun: true,
    });
    expect(event.body.route).toBe("calendar");
    const question = await webhook({ text: "What should I remember to do before a trip?" });
    expect(question.body.route).toBe("completion");
  });

  it("asks to connect again when the grant lacks the tasks scope", async () => {
    const narrow = (await server.token({ scopes: ["llm", "calendar"] })).token;
    const consent = await api<{ url: string }>(server, narrow, "GET", "/api/v1/calendar/connect");
    const page = await new Browser(server.url).consent(consent.body.url, google, {
      grantScope: "https://www.googleapis.com/auth/calendar.events",
    });
    expect(page.status).toBe(200);
    const reply = await webhook({ text: "Don't forget to water the plants" }, narrow);
    expect(reply.status, reply.text).toBe(409);
    expect((reply.body as unknown as ErrorBody).error.message).toMatch(/allow Google Tasks/);
  });
});

describe("without Google settings", () => {
  it("answers 503 for a calendar text (a dry run still previews), and completes questions", async () => {
    const bare = await startTestServer({ env: { RATE_LIMIT_RPM: "100000" } });
    try {
      const secret = (await bare.token({ scopes: ["llm", "calendar"] })).token;
      const create = await api<ErrorBody>(bare, secret, "POST", "/api/v1/webhook", {
        text: "Schedule lunch with Sam tomorrow at 1pm",
        timezone: "UTC",
      });
      expect(create.status).toBe(503);
      expect(create.body.error.message).toContain("GOOGLE_CLIENT_ID");
      const dry = await api<WebhookBody>(bare, secret, "POST", "/api/v1/webhook", {
        text: "Schedule lunch with Sam tomorrow at 1pm",
        timezone: "UTC",
        dryRun: true,
      });
      expect(dry.body.result.counts).toMatchObject({ planned: 1 });
      const question = await api<WebhookBody>(bare, secret, "POST", "/api/v1/webhook", {
        text: "What is the capital of France?",
      });
      expect(question.body.route).toBe("completion");
    } finally {
      await bare.close();
    }
  });
});
