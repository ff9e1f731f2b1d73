/**
 * Parsing and routing with a real provider configured (the fake provider behind the real SDKs):
 * the model refines titles, places and attendees; the date parser checks its dates and keeps its
 * own where they disagree; a failing model leaves the parser's answer, with a warning.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeCall } from "../test/fake-provider.ts";
import { startRig, type Rig } from "../test/llm-rig.ts";

interface ParseBody {
  events: Record<string, unknown>[];
  warnings: string[];
  assistedBy: string | null;
}

let rig: Rig;
let token: string;

beforeAll(async () => {
  rig = await startRig();
  token = (await rig.server.token({ scopes: ["llm", "calendar"] })).token;
});
afterAll(() => rig.close());
beforeEach(() => rig.fake.reset());

const NOW = "2026-03-05T10:00:00-05:00";
const TEXT = "Lunch w/ Sam and alice@example.com next Tuesday 1pm for 90 minutes, Café Rouge";

function modelEvent(overrides: Record<string, unknown> = {}) {
  return {
    summary: "Lunch with Sam",
    start: "2026-03-10T13:00",
    end: "2026-03-10T14:30",
    allDay: false,
    location: "Café Rouge",
    description: null,
    attendees: ["alice@example.com"],
    recurrence: null,
    ...overrides,
  };
}

/** Each test sends its own text: the gateway caches answers at temperature 0. */
const parse = (text: string) =>
  rig.post<ParseBody>("/api/v1/calendar/parse", token, {
    text,
    timezone: "America/New_York",
    now: NOW,
  });

describe("parse with a model", () => {
  it("asks the model with a JSON schema and takes its details when the dates agree", async () => {
    let seen: FakeCall | undefined;
    rig.fake.setResponder((call) => {
      seen = call;
      return { json: { events: [modelEvent()] } };
    });
    const reply = await parse(TEXT);
    expect(reply.status, reply.text).toBe(200);
    expect(seen?.json?.schema).toMatchObject({ required: ["events"] });
    expect(seen?.system).toContain("America/New_York");
    expect(seen?.system).toContain("2026-03-05T10:00 (Thursday)");
    expect(seen?.lastUserText).toBe(TEXT);
    expect(reply.body.assistedBy).toBeTruthy();
    expect(reply.body.warnings).toEqual([]);
    expect(reply.body.events).toEqual([
      {
        summary: "Lunch with Sam",
        start: "2026-03-10T13:00:00-04:00",
        end: "2026-03-10T14:30:00-04:00",
        allDay: false,
        timeZone: "America/New_York",
        location: "Café Rouge",
        attendees: ["alice@example.com"],
      },
    ]);
  });

  it("keeps the date parser's dates where the model disagrees, and warns", async () => {
    rig.fake.setResponder(() => ({
      json: { events: [modelEvent({ start: "2026-03-17T13:00", end: "2026-03-17T14:30" })] },
    }));
    const reply = await parse(`${TEXT}.`);
    expect(reply.body.events[0]).toMatchObject({
      summary: "Lunch with Sam",
      start: "2026-03-10T13:00:00-04:00",
      location: "Café Rouge",
    });
    expect(reply.body.warnings).toEqual([
      'The model read "Lunch with Sam" as 2026-03-17T13:00:00-04:00 – 2026-03-17T14:30:00-04:00, the date parser as 2026-03-10T13:00:00-04:00 – 2026-03-10T14:30:00-04:00; kept the date parser\'s',
    ]);
  });

  it("takes several events from one paragraph, flagging those the parser cannot confirm", async () => {
    rig.fake.setResponder(() => ({
      json: {
        events: [
          modelEvent(),
          modelEvent({ summary: "Prep", start: "2026-03-09", end: null, allDay: true }),
        ],
      },
    }));
    const reply = await parse(`${TEXT}!`);
    expect(reply.body.events).toHaveLength(2);
    expect(reply.body.events[1]).toMatchObject({
      summary: "Prep",
      start: "2026-03-09",
      end: "2026-03-10",
      allDay: true,
    });
    expect(reply.body.warnings).toEqual([
      "The model found 2 events, the date parser 1",
      'The date parser could not confirm the time of "Prep" (2026-03-09 – 2026-03-10)',
    ]);
  });

  it("falls back to the date parser when the model fails", async () => {
    rig.fake.setResponder(() => ({ status: 400, message: "Bad request (fake)." }));
    const reply = await parse("Dentist Friday 3pm");
    expect(reply.status).toBe(200);
    expect(reply.body.assistedBy).toBeNull();
    expect(reply.body.events).toMatchObject([
      { summary: "Dentist", start: "2026-03-06T15:00:00-05:00" },
    ]);
    expect(reply.body.warnings[0]).toMatch(/^The model could not refine the parse/);
  });
});

describe("webhook with a model", () => {
  it("lets the model overrule the rules, in one call that also refines the events", async () => {
    const calls: FakeCall[] = [];
    rig.fake.setResponder((call) => {
      calls.push(call);
      if (call.json) return { json: { route: "completion", events: [] } };
      return { text: "Probably around noon." };
    });
    const reply = await rig.post<{ route: string; decidedBy: string; result: { text: string } }>(
      "/api/v1/webhook",
      token,
      { text: "Schedule question: lunch tomorrow at 1pm or 2pm?", timezone: "UTC", now: NOW },
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({
      route: "completion",
      decidedBy: "model",
      result: { text: "Probably around noon." },
    });
    expect(calls[0]!.json!.schema).toMatchObject({ required: ["route", "events"] });
  });

  it("does not ask the model to route text without any date", async () => {
    rig.fake.setResponder(() => ({ text: "Paris." }));
    const reply = await rig.post<{ route: string; decidedBy: string }>("/api/v1/webhook", token, {
      text: "What is the capital of France?",
    });
    expect(reply.body).toMatchObject({ route: "completion", decidedBy: "rules" });
    expect(rig.fake.requests.filter((r) => JSON.stringify(r.body).includes("route"))).toEqual([]);
  });

  it("routes to the calendar when the model agrees, with its events (dry run)", async () => {
    rig.fake.setResponder(() => ({ json: { route: "calendar", events: [modelEvent()] } }));
    const reply = await rig.post<{
      route: string;
      result: { results: { status: string; event: Record<string, unknown> }[] };
    }>("/api/v1/webhook", token, {
      text: TEXT,
      timezone: "America/New_York",
      now: NOW,
      dryRun: true,
    });
    expect(reply.body.route).toBe("calendar");
    expect(reply.body.result.results[0]).toMatchObject({
      status: "planned",
      event: {
        summary: "Lunch with Sam",
        location: "Café Rouge",
        attendees: ["alice@example.com"],
      },
    });
  });
});
