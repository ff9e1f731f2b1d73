/**
 * The task pane at Excel's default pane size (350 × 700), as a new user meets it: answers and
 * actions in view, the tabs on one row, chat that keeps what was typed, Markdown without raw
 * HTML, the user's own defaults, a backend that is down, and axe-core on every tab.
 */
import { randomUUID } from "node:crypto";
import { AxeBuilder } from "@axe-core/playwright";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { formatUsd } from "../src/shared/money.ts";
import type { FakeExcelSeed } from "./fake-excel.ts";
import { connect, openTab, panel, screenshot, useAddinInBrowser } from "./pane.ts";

const PANE = { width: 350, height: 700 };
const TABS = [
  "Connect",
  "Ask",
  "Fill",
  "Freeze",
  "Migrate",
  "Chat",
  "Templates",
  "Calendar",
  "Usage",
  "Settings",
];

const addin = useAddinInBrowser();

/** Whether the element's whole box is inside the window (not scrolled away). */
async function inViewport(locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  return (
    box !== null &&
    box.y >= 0 &&
    box.x >= 0 &&
    box.y + box.height <= PANE.height &&
    box.x + box.width <= PANE.width
  );
}

function messageBox(page: Page): Locator {
  return panel(page).getByRole("textbox", { name: /^Message/ });
}

/** The JSON body of each completion the page asks for. */
function completionBodies(page: Page): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  page.on("request", (request) => {
    if (request.url().endsWith("/api/v1/completions") && request.method() === "POST")
      bodies.push(request.postDataJSON() as Record<string, unknown>);
  });
  return bodies;
}

function twentyRows(): FakeExcelSeed {
  const cells: Record<string, string> = {};
  for (let row = 1; row <= 20; row++) {
    cells[`A${row}`] = `Customer ${row}`;
    cells[`B${row}`] = `Order ${row * 7}`;
  }
  return { cells, selection: "Sheet1!A1:B20" };
}

describe("the task pane at 350 × 700", () => {
  it("brings Ask's answer into view as it streams, the Ask button staying in view", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({ viewport: PANE });
    const bodies = completionBodies(page);
    await connect(page, token);
    await openTab(page, "Ask");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Explain, in a few short paragraphs, what a pivot table is for");
    await panel(page).getByRole("button", { name: "Ask", exact: true }).click();
    await page.getByTestId("answer-meta").waitFor();

    expect(await inViewport(page.getByTestId("answer"))).toBe(true);
    expect(await inViewport(panel(page).getByRole("button", { name: "Ask", exact: true }))).toBe(
      true,
    );
    // Model and temperature are folded away; the default temperature is Fill's and the functions'.
    await expect(panel(page).getByRole("combobox", { name: "Model" }).count()).resolves.toBe(0);
    expect(bodies.map((body) => body.temperature)).toEqual([0]);
    await screenshot(page, "pane-ask-answer");
    // Ask says the pane's one send-key convention, as Chat and Calendar do.
    await expect(
      panel(page)
        .getByRole("textbox", { name: /^Prompt/ })
        .getAttribute("placeholder"),
    ).resolves.toContain("Enter sends; Shift+Enter adds a line.");
    // "Advanced" opens to the model and the temperature.
    await panel(page).getByRole("button", { name: "Advanced" }).click();
    await panel(page).getByRole("combobox", { name: "Model" }).waitFor();
    await panel(page).getByRole("slider").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("keeps Run and the progress in view during a fill, scrolled to the top", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({
      viewport: PANE,
      excel: twentyRows(),
    });
    await connect(page, token);
    await openTab(page, "Fill");
    await page.getByRole("button", { name: "Use the selected range" }).click();
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Thank {{A}} for {{B}} in one line");
    await page.getByTestId("fill-estimate").getByText("20 rows to fill").waitFor();
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByTestId("fill-status").waitFor();
    // Back up to the prompt, as someone checking what they asked would.
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(await inViewport(page.getByRole("button", { name: "Run", exact: true }))).toBe(true);
    expect(await inViewport(page.getByTestId("fill-status"))).toBe(true);
    await page.getByTestId("fill-status").getByText("Done: 20 of 20 rows").waitFor();
    expect(await inViewport(page.getByRole("progressbar"))).toBe(true);
    await screenshot(page, "pane-fill-run");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("keeps the draft when sending fails, and asks before deleting a conversation", async () => {
    const { token } = await addin.server.token();
    const { page, context } = await addin.open({ viewport: PANE });
    await connect(page, token);
    await openTab(page, "Chat");
    await messageBox(page).fill("First question");
    await page.keyboard.press("Enter");
    await page
      .getByTestId("chat-log")
      .getByText(/You asked: "First question"/)
      .waitFor();

    await page.route("**/api/v1/conversations/*/messages", (route) =>
      route.fulfill({
        status: 502,
        contentType: "application/json",
        body: JSON.stringify({
          error: { code: "upstream_error", message: "the provider failed", requestId: "r1" },
        }),
      }),
    );
    await messageBox(page).fill("A long message I do not want to type again");
    await page.getByRole("button", { name: "Send" }).click();
    await panel(page)
      .getByRole("alert")
      .getByText(/The model provider failed/)
      .waitFor();
    await expect(messageBox(page).inputValue()).resolves.toBe(
      "A long message I do not want to type again",
    );
    await expect(messageBox(page).getAttribute("placeholder")).resolves.toContain("Enter sends");
    await page.unroute("**/api/v1/conversations/*/messages");

    // Counted by CSS: while the dialog is open the rest of the page is hidden from roles.
    const options = () =>
      page.evaluate(
        () => document.querySelectorAll('[role="tabpanel"]:not([hidden]) select option').length,
      );
    const before = await options();
    expect(before).toBe(2);
    await panel(page).getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this conversation?" });
    await dialog.waitFor();
    await screenshot(page, "pane-chat-delete");
    await dialog.getByRole("button", { name: "Keep it" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await options()).toBe(before);
    await panel(page).getByRole("button", { name: "Delete" }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await page.waitForFunction(
      (count) =>
        document.querySelectorAll('[role="tabpanel"]:not([hidden]) select option').length < count,
      before,
    );
    await context.close();
  });

  it("renders a chat answer's Markdown, without its raw HTML or unsafe links", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({ viewport: PANE });
    await connect(page, token);
    await openTab(page, "Chat");
    // The demo model repeats the question, so the answer carries this Markdown back.
    await messageBox(page).fill(
      '**loud** `code` <img src=x onerror="__pwned=1"> [x](javascript:__pwned=2) [docs](https://example.com/a)',
    );
    await page.keyboard.press("Enter");
    const answer = page.getByTestId("chat-log").getByTestId("markdown").last();
    await answer.getByText(/You asked/).waitFor();
    await expect(answer.locator("strong").textContent()).resolves.toBe("loud");
    await expect(answer.locator("code").textContent()).resolves.toBe("code");
    await expect(answer.locator("img").count()).resolves.toBe(0);
    await expect(answer.locator('[onerror], script, a[href^="javascript"]').count()).resolves.toBe(
      0,
    );
    await expect(answer.getByRole("link", { name: "docs" }).getAttribute("href")).resolves.toBe(
      "https://example.com/a",
    );
    await expect(answer.getByRole("link", { name: "docs" }).getAttribute("rel")).resolves.toContain(
      "noopener",
    );
    await expect(page.evaluate(() => (window as { __pwned?: number }).__pwned)).resolves.toBe(
      undefined,
    );
    expect(errors).toEqual([]);
    await context.close();
  });

  it("fits the tabs on one row, has a main landmark and a favicon, and lets the notice go", async () => {
    const { page, context, errors } = await addin.open({ viewport: PANE });
    await page.getByTestId("more-tabs").waitFor();
    const tops = await page
      .getByRole("tab")
      .evaluateAll((tabs) =>
        tabs
          .filter((tab) => (tab as HTMLElement).offsetParent !== null)
          .map((tab) => Math.round(tab.getBoundingClientRect().top)),
      );
    expect(tops.length).toBeGreaterThan(2);
    expect(new Set(tops).size).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PANE.width,
    );
    // Every tab can be reached, those on the row and those in the menu.
    for (const name of ["Usage", "Settings", "Ask"]) await openTab(page, name);

    await expect(page.getByRole("main").count()).resolves.toBe(1);
    const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
    const iconResponse = await fetch(new URL(icon!, addin.server.url));
    expect(iconResponse.headers.get("content-type")).toBe("image/png");

    await page.getByTestId("outside-excel").getByRole("button", { name: "Dismiss" }).click();
    await expect(page.getByTestId("outside-excel").count()).resolves.toBe(0);
    await screenshot(page, "pane-tabs");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("says when the backend is down, on every tab, and Retry brings it back", async () => {
    const { token } = await addin.server.token();
    const { page, context } = await addin.open({ viewport: PANE });
    await connect(page, token);
    await page.route("**/api/v1/**", (route) => route.abort("connectionrefused"));
    await page.reload();
    const down = page.getByTestId("backend-down");
    await down.getByText("The OfficeLLM backend cannot be reached").waitFor();
    for (const name of TABS) {
      await openTab(page, name);
      await down.waitFor();
      expect(await inViewport(down.getByRole("button", { name: "Retry" }))).toBe(true);
    }
    await screenshot(page, "pane-backend-down");
    await down.getByRole("button", { name: "Retry" }).click();
    await down.getByRole("button", { name: "Retry" }).and(page.locator(":enabled")).waitFor();
    await expect(down.count()).resolves.toBe(1);

    await page.unroute("**/api/v1/**");
    await down.getByRole("button", { name: "Retry" }).click();
    await down.waitFor({ state: "detached" });
    await openTab(page, "Connect");
    await panel(page).getByText("Connected as").waitFor();
    await context.close();
  });

  it("paints its skeleton before any script runs, and preloads every chunk it starts with", async () => {
    // No script at all: the static skeleton is what paints, a main landmark included.
    const blocked = await addin.open({
      viewport: PANE,
      beforeLoad: async (page) => {
        await page.route("**/addin/**/*.js", (route) => route.abort());
      },
    });
    await blocked.page.getByRole("main").getByText("Loading the task pane…").waitFor();
    await expect(
      blocked.page.evaluate(() => performance.getEntriesByName("first-contentful-paint").length),
    ).resolves.toBe(1);
    await blocked.context.close();

    // With scripts: every script the pane loads before its first render is named in its HTML (the
    // entry or a modulepreload link), so none waits for another to run before it is fetched.
    const html = await (await fetch(`${addin.server.url}/addin/taskpane.html`)).text();
    const named = new Set(
      [
        ...html.matchAll(
          /<(?:script type="module"[^>]*|link rel="modulepreload"[^>]*) (?:src|href)="([^"]+)"/g,
        ),
      ].map((match) => new URL(match[1]!, addin.server.url).pathname),
    );
    const preloads = [...html.matchAll(/rel="modulepreload"/g)].length;
    expect(preloads).toBeGreaterThan(0);
    const loaded: string[] = [];
    const { page, context, errors } = await addin.open({
      viewport: PANE,
      beforeLoad: async (page) => {
        page.on("request", (request) => {
          const url = new URL(request.url());
          if (url.origin === addin.server.url && url.pathname.endsWith(".js"))
            loaded.push(url.pathname);
        });
      },
    });
    await page.getByTestId("more-tabs").waitFor();
    expect(loaded.length).toBeGreaterThan(1);
    expect(loaded.filter((path) => !named.has(path))).toEqual([]);
    // The admin console's page preloads none of the pane's chunks.
    const admin = await (await fetch(`${addin.server.url}/admin/`)).text();
    const paneOnly = [...named].filter((path) => !admin.includes(path));
    expect(paneOnly.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("formats money as the admin console does", async () => {
    const { id, token } = await addin.server.token({ budgetUsd: 5 });
    // $0.00996 this month: "$0.01" for people, as the console shows it (never "$0.0100").
    await addin.server.store.usage.insertMany([
      {
        id: randomUUID(),
        token_id: id,
        request_id: "req_pane_money",
        provider: "openai",
        model: "gpt-4.1-mini",
        key_label: "default",
        input_tokens: 100,
        output_tokens: 30,
        cost_nano_usd: 9_960_000,
        cached: 0,
        latency_ms: 400,
        status: "ok",
        error_code: null,
        created_at: addin.server.clock.now().toISOString(),
      },
    ]);
    const { page, context, errors } = await addin.open({ viewport: PANE });
    await connect(page, token);
    await openTab(page, "Connect");
    await page
      .getByTestId("connected")
      .getByText(`${formatUsd(0.00996)} spent of ${formatUsd(5)} (${formatUsd(4.99004)} left)`)
      .waitFor();
    expect(formatUsd(0.00996)).toBe("$0.01");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("saves the user's defaults, shows them again, and Ask uses them", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({ viewport: PANE });
    const bodies = completionBodies(page);
    await connect(page, token);
    await openTab(page, "Settings");
    await panel(page)
      .getByRole("textbox", { name: "System prompt" })
      .fill("Answer in British English.");
    await panel(page).getByRole("button", { name: "Set a default temperature" }).click();
    const slider = panel(page).getByRole("slider");
    await slider.focus();
    for (let step = 0; step < 5; step++) await page.keyboard.press("ArrowRight");
    await panel(page).getByText("Temperature: 0.5").waitFor();
    await panel(page).getByRole("button", { name: "Save" }).click();
    await page.getByTestId("settings-status").getByText("Saved.").waitFor();

    const saved = await fetch(`${addin.server.url}/api/v1/me/settings`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await expect(saved.json()).resolves.toMatchObject({
      systemPrompt: "Answer in British English.",
      temperature: 0.5,
      model: null,
    });

    await page.reload();
    await openTab(page, "Settings");
    await expect(
      panel(page).getByRole("textbox", { name: "System prompt" }).inputValue(),
    ).resolves.toBe("Answer in British English.");
    await openTab(page, "Ask");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Colour or color?");
    await page.keyboard.press("Enter");
    await page.getByTestId("answer-meta").waitFor();
    expect(bodies.map((body) => body.temperature)).toEqual([0.5]);
    await screenshot(page, "pane-settings-used");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("accepts UTC without a warning, and greys out Calendar when Google is not set up", async () => {
    const { token } = await addin.server.token({ scopes: ["calendar", "llm"] });
    const { page, context, errors } = await addin.open({ viewport: PANE });
    await connect(page, token);
    await openTab(page, "Calendar");
    await screenshot(page, "pane-calendar-unavailable");
    await page
      .getByTestId("calendar-status")
      .getByText("Google Calendar is not set up on this OfficeLLM server.")
      .waitFor();
    await expect(page.getByTestId("calendar-forms").getAttribute("disabled")).resolves.toBe("");
    await expect(
      panel(page).getByRole("combobox", { name: "Timezone" }).isDisabled(),
    ).resolves.toBe(true);
    await panel(page).getByText("Unavailable: Google Calendar is not set up").waitFor();
    const help = panel(page).getByRole("link", { name: "what they need to do" });
    await expect(help.getAttribute("href")).resolves.toBe(`${addin.server.url}/#google-calendar`);
    await expect(panel(page).textContent()).resolves.not.toMatch(/docs\/|\.md\b/);
    const page404 = await fetch(`${addin.server.url}/`);
    expect(page404.status).toBe(200);
    await expect(page404.text()).resolves.toMatch(/id="google-calendar"[\s\S]*/);

    await page.getByTestId("calendar-forms").evaluate((fieldset) => {
      (fieldset as HTMLFieldSetElement).disabled = false;
    });
    await panel(page).getByRole("combobox", { name: "Timezone" }).fill("UTC");
    await expect(
      panel(page).getByText("This browser does not know that timezone").count(),
    ).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const colorScheme of ["light", "dark"] as const)
    it(`has no critical or serious axe violation of its own on any tab (${colorScheme})`, async () => {
      const { token } = await addin.server.token({ scopes: ["calendar", "llm"] });
      const { page, context } = await addin.open({
        viewport: PANE,
        colorScheme,
        excel: { ...twentyRows(), dark: colorScheme === "dark" },
      });
      await connect(page, token);
      const found: string[] = [];
      for (const name of TABS) {
        await openTab(page, name);
        await panel(page).waitFor();
        await screenshot(page, `pane-tab-${name.toLowerCase()}-${colorScheme}`);
        const results = await new AxeBuilder({ page }).analyze();
        for (const violation of results.violations) {
          if (violation.impact !== "critical" && violation.impact !== "serious") continue;
          // Tabster's focus guards (Fluent's focus management) are focusable and aria-hidden on
          // purpose: microsoft/tabster#288, microsoft/fluentui#25133. Anything else is ours.
          const ours = violation.nodes.filter((node) => !node.html.includes("data-tabster-dummy"));
          if (ours.length > 0)
            found.push(
              `${name}: ${violation.id} (${violation.impact}) ${ours
                .map((node) => node.target.join(" "))
                .join(", ")}`,
            );
        }
      }
      expect(found).toEqual([]);
      await context.close();
    });
});
