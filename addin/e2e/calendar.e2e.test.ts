/**
 * The task pane's Calendar tab against the real backend, itself configured for a fake Google
 * (the real Google clients pointed at it with GOOGLE_BASE_URL): connecting through the consent
 * page (a browser window, or an Office dialog), text → preview → create once, and rows of a
 * sheet → mapped → preview → create, with the links written back next to the rows.
 */
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser as ConsentBrowser } from "../../server/test/browser.ts";
import { startFakeGoogle, type FakeGoogle } from "../../server/test/fake-google.ts";
import type { TestServer } from "../../server/test/harness.ts";
import {
  cell,
  cells,
  connect,
  eventually,
  launchChromium,
  openPane,
  openTab,
  panel,
  screenshot,
  startAddinServer,
} from "./pane.ts";

let google: FakeGoogle;
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  google = await startFakeGoogle();
  server = await startAddinServer({
    env: {
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_BASE_URL: google.url,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await google?.close();
});

const inserts = () => google.requestsTo("POST", /^\/calendar\/v3\/calendars\/primary\/events$/);
const storedEvents = () => [...(google.calendars.get("primary")?.values() ?? [])];

/** An Excel date serial (days since 1899-12-30) for a wall-clock time. */
const serial = (y: number, m: number, d: number, h = 0, min = 0) =>
  (Date.UTC(y, m - 1, d, h, min) - Date.UTC(1899, 11, 30)) / 86_400_000;

async function setTimezone(page: Page, zone: string) {
  const field = panel(page).getByRole("combobox", { name: "Timezone" });
  await field.fill(zone);
}

describe("Calendar tab", () => {
  it("connects through Google's consent window, previews text and creates the event once", async () => {
    const { token } = await server.token({ name: "Ada", scopes: ["calendar", "llm"] });
    // Outside Excel (office.js does not load): consent opens in a browser window.
    const { page, context, errors } = await openPane(browser, server, {
      beforeLoad: async (_page, ctx) => {
        // The consent link names the server by its PUBLIC_URL, which is not where the test
        // server listens: the window's request goes to the test server, which sets its cookie
        // and sends the window on to Google's consent page. That page is played by the fake
        // (a redirect's target is not routed): the user allows, Google redirects back.
        await ctx.route(`${server.config.publicUrl}/**`, async (route) => {
          const { pathname, search } = new URL(route.request().url());
          const start = await route.fetch({
            url: `${server.url}${pathname}${search}`,
            maxRedirects: 0,
          });
          const consent = google.authorize(start.headers().location!);
          await route.fulfill({
            status: 302,
            headers: { ...start.headers(), location: `${server.url}${consent.callbackPath}` },
          });
        });
      },
    });
    await connect(page, token);
    await openTab(page, "Calendar");
    const status = page.getByTestId("calendar-status");
    await status.getByText("Google Calendar is not connected.").waitFor();
    await page
      .getByTestId("calendar-rows-needs-excel")
      .getByText(/needs the add-in open in Excel/)
      .waitFor();

    const popupOpened = context.waitForEvent("page");
    await page.getByRole("button", { name: "Connect Google Calendar" }).click();
    const popup = await popupOpened;
    await page.getByTestId("calendar-waiting").waitFor();
    await popup.waitForURL(/\/api\/v1\/calendar\/oauth\/callback\?/);
    await popup.getByText("You can close this window").waitFor();
    // The page names the OfficeLLM token the calendar was connected to.
    await popup.getByText(/connected to the OfficeLLM token “Ada” \(tok_/).waitFor();
    // The pane polls status until connected. (It cannot close this window itself: the backend's
    // Cross-Origin-Opener-Policy: same-origin cuts the link between the pane and the popup.)
    await status
      .getByText("Google Calendar: connected as ada@example.com")
      .waitFor({ timeout: 10_000 });
    await popup.close();
    await expect(page.getByTestId("calendar-waiting").count()).resolves.toBe(0);

    await setTimezone(page, "America/New_York");
    await panel(page)
      .getByRole("textbox", { name: "Describe the event" })
      .fill("lunch with Sam next Tuesday at 1pm for 90 minutes");
    await page.getByRole("button", { name: "Preview", exact: true }).click();
    const event = page.getByTestId("calendar-event");
    await event.getByTestId("event-title").getByText("Lunch with Sam").waitFor();
    // The server's test clock says 2026-11-25 (a Wednesday): next Tuesday is 1 December.
    const when = event.getByTestId("event-when");
    await expect(when.getAttribute("datetime")).resolves.toBe("2026-12-01T13:00:00-05:00");
    await expect(when.textContent()).resolves.toMatch(
      /Dec.*1.*2026.*1:00.*2:30.*America\/New_York/,
    );
    expect(inserts()).toHaveLength(0);

    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page
      .getByTestId("calendar-text-result")
      .getByText("1 created, 0 already existed.")
      .waitFor();
    await event.getByTestId("event-result").getByText("Created").waitFor();
    await expect(
      event.getByRole("link", { name: "open in Google Calendar" }).getAttribute("href"),
    ).resolves.toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=ollm/);
    expect(inserts()).toHaveLength(1);
    expect(inserts()[0]!.body).toMatchObject({
      summary: "Lunch with Sam",
      start: { dateTime: "2026-12-01T13:00:00-05:00", timeZone: "America/New_York" },
      end: { dateTime: "2026-12-01T14:30:00-05:00", timeZone: "America/New_York" },
    });
    expect(storedEvents()).toHaveLength(1);
    await screenshot(page, "calendar-text");

    // Again: Google refuses the same id, and the tab says it already exists.
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page
      .getByTestId("calendar-text-result")
      .getByText("0 created, 1 already existed.")
      .waitFor();
    await event.getByTestId("event-result").getByText("Already exists").waitFor();
    expect(storedEvents()).toHaveLength(1);

    // Disconnect: revoked at Google, and the tab offers Connect again.
    await page.getByRole("button", { name: "Disconnect" }).click();
    await status.getByText("Google Calendar is not connected.").waitFor();
    await page.getByRole("button", { name: "Connect Google Calendar" }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("maps a table of meetings, creates one event per row, and writes the links next to them", async () => {
    const { token } = await server.token({ name: "Grace", scopes: ["calendar", "llm"] });
    const before = inserts().length;
    const { page, context, errors } = await openPane(browser, server, {
      excel: {
        selection: "Sheet1!A1:E4",
        cells: {
          A1: "Meeting",
          B1: "Starts",
          C1: "Minutes",
          D1: "Room",
          E1: "Who",
          A2: "Design review",
          B2: "2026-12-02 10:00",
          C2: 45,
          D2: "Room 1",
          E2: "sam@example.com; lee@example.com",
          A3: "Budget",
          B3: serial(2026, 12, 3, 14, 30),
          C3: "1:30",
          A4: "Offsite",
          B4: "2026-12-04",
          E4: "team@example.com",
        },
      },
      // Excel's Dialog API: the pane opens consent in an Office dialog when it has one.
      beforeLoad: async (page) => {
        await page.addInitScript(() => {
          const w = window as unknown as {
            Office: { context: Record<string, unknown> };
            __consent: { urls: string[]; closed: boolean };
          };
          w.__consent = { urls: [], closed: false };
          w.Office.context.ui = {
            displayDialogAsync(
              url: string,
              _options: unknown,
              callback: (result: { status: string; value: { close(): void } }) => void,
            ) {
              w.__consent.urls.push(url);
              callback({
                status: "succeeded",
                value: { close: () => (w.__consent.closed = true) },
              });
            },
          };
        });
      },
    });
    await connect(page, token);
    await openTab(page, "Calendar");
    await page.getByRole("button", { name: "Connect Google Calendar" }).click();
    const consentUrl = await eventually("the consent dialog", () =>
      page.evaluate(
        () => (window as unknown as { __consent: { urls: string[] } }).__consent.urls[0],
      ),
    );
    // The dialog opens the link, the user allows, and Google sends the dialog to the callback.
    const callback = await new ConsentBrowser(server.url).consent(String(consentUrl), google);
    expect(callback.status).toBe(200);
    await page
      .getByTestId("calendar-status")
      .getByText("Google Calendar: connected as ada@example.com")
      .waitFor({ timeout: 10_000 });
    await eventually("the dialog to close", () =>
      page.evaluate(
        () => (window as unknown as { __consent: { closed: boolean } }).__consent.closed,
      ),
    );

    await setTimezone(page, "Europe/Berlin");
    await page.getByRole("button", { name: "Use the selected table" }).click();
    await page.getByTestId("calendar-table").getByText("Table: Sheet1!A1:E4 (3 rows)").waitFor();
    // Pre-filled from the headers; "Who" is mapped by hand.
    const select = (label: string | RegExp) => panel(page).getByRole("combobox", { name: label });
    await expect(select(/^Title column/).inputValue()).resolves.toBe("0");
    await expect(select(/^Start column/).inputValue()).resolves.toBe("1");
    await expect(select("Duration (minutes) column").inputValue()).resolves.toBe("2");
    await expect(select("Location column").inputValue()).resolves.toBe("3");
    await expect(select("Attendees (e-mails) column").inputValue()).resolves.toBe("");
    await select("Attendees (e-mails) column").selectOption({ label: "Who (E)" });

    await page.getByRole("button", { name: "Preview rows" }).click();
    await page.getByTestId("calendar-rows-status").getByText("3 rows ready to create.").waitFor();
    expect(inserts()).toHaveLength(before);

    await page.getByRole("button", { name: "Create events" }).click();
    await page
      .getByTestId("calendar-rows-status")
      .getByText("3 created, 0 already existed. Results written to Sheet1!F1:F4.")
      .waitFor();
    const created = inserts().slice(before);
    expect(created).toHaveLength(3);
    const bySummary = new Map(created.map((r) => [r.body!.summary, r.body!]));
    expect(bySummary.get("Design review")).toMatchObject({
      start: { dateTime: "2026-12-02T10:00:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-12-02T10:45:00+01:00", timeZone: "Europe/Berlin" },
      location: "Room 1",
      attendees: [{ email: "sam@example.com" }, { email: "lee@example.com" }],
    });
    expect(bySummary.get("Budget")).toMatchObject({
      start: { dateTime: "2026-12-03T14:30:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-12-03T16:00:00+01:00", timeZone: "Europe/Berlin" },
    });
    expect(bySummary.get("Offsite")).toMatchObject({
      start: { date: "2026-12-04" },
      end: { date: "2026-12-05" },
      attendees: [{ email: "team@example.com" }],
    });

    expect(await cell(page, "F1")).toBe("Calendar event");
    const links = (await cells(page, "F2:F4")).map(([value]) => String(value));
    const ids = ["Design review", "Budget", "Offsite"].map((s) => String(bySummary.get(s)!.id));
    expect(links).toEqual(ids.map((id) => `https://www.google.com/calendar/event?eid=${id}`));
    // The table itself is untouched.
    expect(await cells(page, "A2:A4")).toEqual([["Design review"], ["Budget"], ["Offsite"]]);
    await screenshot(page, "calendar-rows");

    // The same sheet again creates nothing new.
    await page.getByRole("button", { name: "Create events" }).click();
    await page
      .getByTestId("calendar-rows-status")
      .getByText("0 created, 3 already existed. Results written to Sheet1!F1:F4.")
      .waitFor();
    expect(inserts().length - before).toBe(6); // three refused as duplicates
    expect(storedEvents().filter((e) => ids.includes(e.id))).toHaveLength(3);
    expect(errors).toEqual([]);
    await context.close();
  });
});
