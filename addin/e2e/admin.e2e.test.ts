/**
 * The admin console in Chromium: the real build, served by the real backend at /admin/, signed
 * in with an admin token. Each screen does its work through the admin API (checked against the
 * API itself), passes axe in light and dark, and leaves a screenshot for review.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminUsageReport, TokenSummary } from "../../server/wire.ts";
import { storeWithBackups } from "../../server/test/backup-rig.ts";
import { TestClock, type TestServer } from "../../server/test/harness.ts";
import type { UsageRow } from "../../server/store/usage-repository.ts";
import { formatUsd } from "../src/shared/money.ts";
import { launchChromium, screenshot, startAddinServer } from "./pane.ts";

let server: TestServer;
let browser: Browser;
let admin: { id: string; token: string };
let finance: { id: string; token: string };
/** The X-Request-Id of one of Finance's demo completions. */
let requestId: string;

const screens = ["tokens", "usage", "requests", "audit", "models", "system"] as const;
const headings: Record<(typeof screens)[number], string> = {
  tokens: "Tokens",
  usage: "Usage and cost",
  requests: "Requests",
  audit: "Audit log",
  models: "Providers and models",
  system: "System",
};

beforeAll(async () => {
  // The server's clock is today's, so that "this month" is the same month for it and the browser.
  server = await startAddinServer({
    clock: new TestClock(new Date().toISOString()),
    env: { RATE_LIMIT_RPM: "100000", AUTH_FAILURES_PER_MINUTE: "100000" },
  });
  admin = await server.token({ name: "Ops", scopes: ["admin"] });
  finance = await server.token({ name: "Finance", scopes: ["llm"] });
  for (const prompt of ["Quarterly summary", "Name three colours", "Quarterly summary"]) {
    const response = await server.fetch("/api/v1/completions", {
      method: "POST",
      token: finance.token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt, temperature: 0 }),
    });
    expect(response.status).toBe(200);
    requestId = response.headers.get("x-request-id")!;
  }
  // Priced calls (the demo is free) from earlier today, so money shows: $0.00008775 each.
  const now = server.clock.now().toISOString();
  const priced: UsageRow[] = Array.from({ length: 7 }, (_, i) => ({
    id: randomUUID(),
    token_id: finance.id,
    request_id: `req_priced_${i}`,
    provider: "openai",
    model: "gpt-4.1-mini",
    key_label: "default",
    input_tokens: 100,
    output_tokens: 30,
    cost_nano_usd: 87_750 + i * 1_000_000_000,
    cached: 0,
    latency_ms: 420 + i,
    status: i === 0 ? "error" : "ok",
    error_code: i === 0 ? "upstream_error" : null,
    created_at: `${now.slice(0, 10)}T00:0${i}:00.000Z`,
  }));
  await server.store.usage.insertMany(priced);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openConsole(options: {
  colorScheme?: "light" | "dark";
  width?: number;
}): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
    colorScheme: options.colorScheme ?? "light",
    acceptDownloads: true,
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text()))
      errors.push(message.text());
  });
  await page.goto(`${server.url}/admin/`);
  return { page, context, errors };
}

async function signIn(page: Page, token = admin.token): Promise<void> {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function show(page: Page, screen: (typeof screens)[number]): Promise<void> {
  await page.getByRole("tab", { name: headings[screen] }).click();
  await page.getByRole("heading", { level: 1, name: headings[screen] }).waitFor();
  // Loaded: no spinner left on the screen.
  await page.locator("main .fui-Spinner").first().waitFor({ state: "detached" });
}

async function adminApi<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await server.fetch(path, { ...init, token: admin.token });
  expect(response.status, path).toBeLessThan(300);
  return (await response.json()) as T;
}

async function tokenNamed(name: string): Promise<TokenSummary> {
  const { tokens } = await adminApi<{ tokens: TokenSummary[] }>("/api/v1/admin/tokens");
  return tokens.find((token) => token.name === name)!;
}

/**
 * Fluent's, not ours: the focus traps of Tabster (the TabList's arrow keys), focusable yet
 * aria-hidden by design (microsoft/fluentui#25133, microsoft/tabster#288).
 */
const fluentsOwn = (rule: string, html: string) =>
  rule === "aria-hidden-focus" && html.includes("data-tabster-dummy");

describe("the admin console", () => {
  it("signs in with an admin token only, kept for the browser tab", async () => {
    const { page, context, errors } = await openConsole({});
    await screenshot(page, "admin-sign-in");
    await signIn(page, finance.token);
    await page.getByText("This token does not have the admin scope.").waitFor();
    await signIn(page);
    await page.getByRole("heading", { level: 1, name: "Tokens" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("officellm.admin.token"))).toBe(
      admin.token,
    );
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Tokens" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("creates a token and shows its secret once, edits its budget, rotates and revokes it", async () => {
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    await page.getByRole("button", { name: "New token" }).click();
    const form = page.getByRole("dialog");
    await form.getByLabel("Name").fill("Report bot");
    await form.getByLabel("Monthly budget (USD)").fill("5");
    await form.getByRole("button", { name: "Create" }).click();

    const secretDialog = page.getByRole("dialog", { name: "Secret of Report bot" });
    const secret = await secretDialog.getByTestId("new-secret").inputValue();
    expect(secret).toMatch(/\S{20,}/);
    expect(await secretDialog.getByTestId("authorization-header").inputValue()).toBe(
      `Authorization: Bearer ${secret}`,
    );
    await secretDialog.getByRole("button", { name: "Copy header" }).click();
    await secretDialog.getByText("Copied the header.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      `Authorization: Bearer ${secret}`,
    );
    await screenshot(page, "admin-token-secret");
    const me = await server.fetch("/api/v1/me", { token: secret });
    expect(me.status).toBe(200);
    await secretDialog.getByRole("button", { name: "Done" }).click();
    await secretDialog.waitFor({ state: "detached" });
    // Once: nowhere on the page any more.
    expect(await page.content()).not.toContain(secret);
    await page.getByRole("cell", { name: "Report bot", exact: true }).waitFor();

    // The budget, edited in the console, is what the API applies.
    await page.getByRole("button", { name: "Edit Report bot" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Report bot" });
    await edit.getByLabel("Monthly budget (USD)").fill("12.5");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText("$0.00 of $12.50").waitFor();
    const edited = await tokenNamed("Report bot");
    expect(edited.budgetUsd).toBe(12.5);
    expect(edited.limits.monthlyBudgetUsd).toBe(12.5);

    // Rotating with a grace period: the new secret works, and the old one still does for now.
    await page.getByRole("button", { name: "Rotate Report bot" }).click();
    const rotate = page.getByRole("dialog", { name: "Rotate Report bot" });
    await rotate.getByLabel("Grace period for the current secret").selectOption("86400");
    await rotate.getByRole("button", { name: "Rotate" }).click();
    const rotatedDialog = page.getByRole("dialog", { name: "Secret of Report bot" });
    const rotated = await rotatedDialog.getByTestId("new-secret").inputValue();
    expect(rotated).not.toBe(secret);
    await rotatedDialog.getByRole("button", { name: "Done" }).click();
    await rotatedDialog.waitFor({ state: "detached" });
    expect((await server.fetch("/api/v1/me", { token: rotated })).status).toBe(200);
    expect((await server.fetch("/api/v1/me", { token: secret })).status).toBe(200);
    expect((await tokenNamed("Report bot")).previousSecretValidUntil).not.toBeNull();
    await page.getByText(/^old secret until/).waitFor();

    await page.getByRole("button", { name: "Revoke Report bot" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke Report bot?" });
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await confirm.waitFor({ state: "detached" });
    await page
      .getByRole("cell", { name: "Report bot", exact: true })
      .waitFor({ state: "detached" });
    expect((await tokenNamed("Report bot")).revokedAt).not.toBeNull();
    expect((await server.fetch("/api/v1/me", { token: rotated })).status).toBe(401);
    // The revoked filter still finds it.
    await page.getByLabel("State").selectOption("revoked");
    await page.getByRole("cell", { name: "Report bot", exact: true }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("charts usage after demo completions and exports exactly what the API reports as CSV", async () => {
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    await show(page, "usage");
    await page.getByTestId("usage-chart").first().waitFor();
    await page.getByLabel("Charts show").selectOption("calls");
    await screenshot(page, "admin-usage");
    const report = await adminApi<AdminUsageReport>("/api/v1/admin/usage");
    expect(report.totals.calls).toBe(10);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV: By token" }).click(),
    ]);
    const csv = readFileSync((await download.path())!, "utf8");
    const expected = [
      "Token,Calls,Input tokens,Output tokens,Cost",
      ...report.byToken.map((row) =>
        [
          row.name ?? row.tokenId,
          row.calls.toLocaleString("en-US"),
          row.inputTokens.toLocaleString("en-US"),
          row.outputTokens.toLocaleString("en-US"),
          formatUsd(row.costUsd),
        ].join(","),
      ),
    ];
    expect(csv.trimEnd().split("\r\n")).toEqual(expected);
    // Seven priced calls: 21 whole dollars and 7 × $0.00008775, rounded for people.
    expect(csv).toContain("Finance,10,");
    expect(csv).toContain(",$21.00");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("finds a call by its request id, and lists the audit entries of what was done", async () => {
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    await show(page, "requests");
    await page.getByLabel("Request id").fill(requestId);
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("cell", { name: requestId }).waitFor();
    expect(await page.getByRole("table", { name: "Requests" }).getByRole("row").count()).toBe(2);
    await screenshot(page, "admin-requests");
    // Clear empties the fields and shows every call again.
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByRole("cell", { name: "req_priced_1" }).waitFor();
    await expect(page.getByLabel("Request id").inputValue()).resolves.toBe("");

    await show(page, "audit");
    const audit = page.getByRole("table", { name: "Audit log" });
    await audit.getByRole("cell", { name: "token.revoked" }).waitFor();
    await audit.getByRole("cell", { name: "token.updated" }).first().waitFor();
    await audit.getByText("budgetUsd: 5 → 12.5").waitFor();
    await screenshot(page, "admin-audit");
    // The Audit screen has no Clear; Filter applies the action chosen.
    expect(await page.getByRole("button", { name: "Clear" }).count()).toBe(0);
    await page.getByLabel("Action").selectOption("token.revoked");
    await page.getByRole("button", { name: "Filter" }).click();
    await audit.getByRole("cell", { name: "token.updated" }).first().waitFor({ state: "detached" });
    await audit.getByRole("cell", { name: "token.revoked" }).waitFor();
    // Finance (an llm token) changed nothing.
    await page.getByLabel("By").selectOption({ label: "Finance" });
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByText("No audit entries match these filters.").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("says when a screen cannot load, and loads it again on Retry", async () => {
    const { page, context } = await openConsole({});
    await signIn(page);
    let failing = true;
    await page.route("**/api/v1/admin/system", (route) =>
      failing
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({
              error: { code: "unavailable", message: "Not ready (test)", requestId: "r" },
            }),
          })
        : route.continue(),
    );
    await page.getByRole("tab", { name: "System" }).click();
    await page.getByRole("alert").getByText("Not ready (test)").waitFor();
    await screenshot(page, "admin-system-error");
    failing = false;
    await page.getByRole("button", { name: "Retry" }).click();
    await page.getByText("Response cache").waitFor();
    await context.close();
  });

  it("says on every screen when the admin API fails, with a Retry", async () => {
    const { page, context } = await openConsole({});
    await signIn(page);
    await page.getByRole("heading", { level: 1, name: "Tokens" }).waitFor();
    await page.route("**/api/v1/admin/**", (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({
          error: { code: "unavailable", message: "Down for the test", requestId: "r" },
        }),
      }),
    );
    for (const screen of screens) {
      await show(page, screen);
      const alert = page
        .locator("main")
        .getByRole("alert")
        .filter({ hasText: "Down for the test" });
      await alert.first().waitFor();
      await page.locator("main").getByRole("button", { name: "Retry" }).first().waitFor();
    }
    await context.close();
  });

  for (const colorScheme of ["light", "dark"] as const) {
    it(`passes axe on every screen (${colorScheme}) and shows each one`, async () => {
      const { page, context, errors } = await openConsole({ colorScheme });
      const check = async (name: string) => {
        const result = await new AxeBuilder({ page }).analyze();
        const serious = result.violations
          .filter((v) => v.impact === "critical" || v.impact === "serious")
          .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !fluentsOwn(v.id, n.html)) }))
          .filter((v) => v.nodes.length > 0);
        expect(
          serious.map((v) => `${name}: ${v.id}: ${v.nodes.map((n) => n.html).join(" | ")}`),
        ).toEqual([]);
      };
      await check("sign-in");
      await signIn(page);
      for (const screen of screens) {
        await show(page, screen);
        await check(screen);
        await screenshot(page, `admin-${screen}-${colorScheme}`);
      }
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it("finds tokens by search, scope and expiry, and edits name, scopes, rate limit and expiry", async () => {
    await server.token({ name: "Diary bot", scopes: ["calendar"], expiresInMs: 3 * 86_400_000 });
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    const table = page.getByRole("table", { name: "Tokens" });
    const names = () => table.getByRole("row").evaluateAll((rows) => rows.length - 1);
    await table.getByRole("cell", { name: "Diary bot", exact: true }).waitFor();

    await page.getByLabel("Search").fill("diary");
    await expect(names()).resolves.toBe(1);
    await page.getByLabel("Search").fill("");
    await page.getByLabel("Scope").selectOption("calendar");
    await table.getByRole("cell", { name: "Diary bot", exact: true }).waitFor();
    await expect(table.getByRole("cell", { name: "Finance", exact: true }).count()).resolves.toBe(
      0,
    );
    await page.getByLabel("Scope").selectOption("");
    await page.getByLabel("Expiry").selectOption("7");
    await table.getByRole("cell", { name: "Diary bot", exact: true }).waitFor();
    await expect(names()).resolves.toBe(1);
    await page.getByLabel("Expiry").selectOption("");

    await page.getByRole("button", { name: "Edit Diary bot" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Diary bot" });
    await edit.getByLabel("Name").fill("Planner bot");
    await edit.getByRole("checkbox", { name: "llm" }).check();
    await edit.getByLabel("Rate limit (requests per minute)").fill("30");
    const day = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    await edit.getByLabel("Expires on (UTC, end of day)").fill(day);
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await table.getByRole("cell", { name: "Planner bot", exact: true }).waitFor();
    const edited = await tokenNamed("Planner bot");
    expect([...edited.scopes].sort()).toEqual(["calendar", "llm"]);
    expect(edited.limits.requestsPerMinute).toBe(30);
    expect(edited.expiresAt).toBe(`${day}T23:59:59.000Z`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("filters the ledger by status, cache and model, and pages through a token's calls", async () => {
    const pager = await server.token({ name: "Pager", scopes: ["llm"] });
    const day = server.clock.now().toISOString().slice(0, 10);
    await server.store.usage.insertMany(
      Array.from({ length: 55 }, (_, i) => ({
        id: randomUUID(),
        token_id: pager.id,
        request_id: `req_pager_${i}`,
        provider: "openai",
        model: "pager-model",
        key_label: "default",
        input_tokens: 10,
        output_tokens: 5,
        cost_nano_usd: 1_000,
        cached: 0,
        latency_ms: 100,
        status: "ok",
        error_code: null,
        created_at: `${day}T00:30:${String(i).padStart(2, "0")}.000Z`,
      })),
    );
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    await show(page, "requests");
    const table = page.getByRole("table", { name: "Requests" });
    const rows = () => table.getByRole("row").count();
    const search = async (filters: Record<string, string | { label: string }>) => {
      await page.getByRole("button", { name: "Clear" }).click();
      for (const [label, value] of Object.entries(filters))
        await page.getByLabel(label, { exact: true }).selectOption(value);
      await page.getByRole("button", { name: "Search" }).click();
      await page.locator("main .fui-Spinner").first().waitFor({ state: "detached" });
    };

    await search({ Status: "error" });
    await table.getByRole("cell", { name: "req_priced_0" }).waitFor();
    await expect(rows()).resolves.toBe(2);
    await search({ Cached: "true" });
    await table.getByRole("cell", { name: "yes", exact: true }).first().waitFor();
    await expect(table.getByRole("cell", { name: "no", exact: true }).count()).resolves.toBe(0);
    await search({ Model: "gpt-4.1-mini" });
    await table.getByRole("cell", { name: "req_priced_6" }).waitFor();
    await expect(rows()).resolves.toBe(8);

    await search({ Token: { label: "Pager" } });
    await table.getByRole("cell", { name: "req_pager_54" }).waitFor();
    await expect(rows()).resolves.toBe(51);
    await page.getByRole("button", { name: "Next page" }).click();
    await table.getByRole("cell", { name: "req_pager_0", exact: true }).waitFor();
    await expect(rows()).resolves.toBe(6);
    await expect(page.getByRole("button", { name: "Next page" }).isDisabled()).resolves.toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    await table.getByRole("cell", { name: "req_pager_54" }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the tables by day, token and model, the top spender and a budget's burn-down", async () => {
    const budgeted = await server.token({ name: "Budgeted", scopes: ["llm"], budgetUsd: 50 });
    const today = server.clock.now().toISOString().slice(0, 10);
    await server.store.usage.insertMany([
      {
        id: randomUUID(),
        token_id: budgeted.id,
        request_id: "req_budgeted",
        provider: "openai",
        model: "gpt-4.1-mini",
        key_label: "default",
        input_tokens: 1000,
        output_tokens: 300,
        cost_nano_usd: 2_500_000_000,
        cached: 0,
        latency_ms: 500,
        status: "ok",
        error_code: null,
        created_at: `${today}T00:10:00.000Z`,
      },
    ]);
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    await show(page, "usage");
    await page.getByRole("textbox", { name: "From" }).fill(today);
    await page.getByRole("textbox", { name: "To" }).fill(today);
    await page.getByRole("button", { name: "Show" }).click();
    await page.getByRole("status").getByText(`from ${today} to ${today}`).waitFor();
    const report = await adminApi<AdminUsageReport>(
      `/api/v1/admin/usage?from=${today}&to=${today}`,
    );
    const byDay = page.getByRole("table", { name: "By day" });
    await expect(byDay.getByRole("row").count()).resolves.toBe(2);
    await byDay.getByRole("cell", { name: formatUsd(report.totals.costUsd) }).waitFor();
    // The top spender first, in the table and in its chart.
    const byToken = page.getByRole("table", { name: "By token" });
    await expect(
      byToken.getByRole("row").nth(1).getByRole("cell").first().textContent(),
    ).resolves.toBe("Finance");
    const byModel = page.getByRole("table", { name: "By model" });
    await byModel.getByRole("cell", { name: "gpt-4.1-mini", exact: true }).waitFor();
    await expect(byModel.getByRole("row").count()).resolves.toBe(report.byModel.length + 1);

    await page
      .getByRole("region", { name: "Budget burn-down this month" })
      .getByLabel("Token")
      .selectOption({ label: "Budgeted" });
    await page
      .getByTestId("burn-down-summary")
      .getByText("Budgeted: $2.50 of $50.00 spent this month, $47.50 left.")
      .waitFor();
    await screenshot(page, "admin-usage-burn-down");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows each model's error rate and latency, and the system's status", async () => {
    const upload = new FormData();
    upload.append("file", new Blob(["region,sales\nNorth,12\n"], { type: "text/csv" }), "q.csv");
    const uploaded = await server.fetch("/api/v1/files", {
      method: "POST",
      token: finance.token,
      body: upload,
    });
    expect(uploaded.status).toBe(201);
    const { page, context, errors } = await openConsole({});
    await signIn(page);
    await show(page, "models");
    await page.getByRole("table", { name: "Catalog" }).getByRole("row").nth(1).waitFor();
    const health = page.getByRole("table", { name: "Model health" });
    // Seven priced calls of gpt-4.1-mini (one failed) and, from the test before, "Budgeted"'s one:
    // 1 failure in 8, 420–426 ms and 500 ms.
    const row = health.getByRole("row").filter({ hasText: "gpt-4.1-mini" });
    await expect(row.getByRole("cell").allTextContents()).resolves.toEqual([
      "gpt-4.1-mini",
      "openai",
      "8",
      "1",
      "12.5%",
      "0",
      "433 ms",
      "500 ms",
    ]);

    await show(page, "system");
    const facts = page.locator("main dl");
    const system = await adminApi<{ version: string }>("/api/v1/admin/system");
    await facts.getByText(system.version, { exact: true }).waitFor();
    await facts.getByText("sqlite").waitFor();
    await facts.getByText("not configured").waitFor();
    await facts.getByText(/^in memory: \d+ of [\d,]+ answers/).waitFor();
    await facts.getByText(/^0 \(budget holds/).waitFor();
    await facts.getByText(/^none: no scheduled backup yet/).waitFor();
    await expect(page.getByRole("button", { name: "Back up now" }).isDisabled()).resolves.toBe(
      true,
    );
    await page
      .getByText(/^Scheduled backups are off on this server: they need BACKUP_DIR/)
      .waitFor();
    await facts
      .getByText(/^1 file from 1 token, \d+ B, 22 characters of text; each kept 168 h$/)
      .waitFor();
    await screenshot(page, "admin-system");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("stays usable in a narrow window", async () => {
    const { page, context } = await openConsole({ width: 380 });
    await signIn(page);
    for (const screen of ["tokens", "usage"] as const) {
      await show(page, screen);
      // Nothing wider than the window but the tables, which scroll inside their own region.
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(pageWidth).toBeLessThanOrEqual(380);
      await screenshot(page, `admin-${screen}-narrow`);
    }
    await context.close();
  });
});

describe("the admin console with scheduled backups", () => {
  it("takes a backup on demand, shows it as the last one, and audits it", async () => {
    const { dir, store, schedule } = await storeWithBackups("officellm-console-backups-");
    const withBackups = await startAddinServer({ store, backups: schedule });
    const ops = await withBackups.token({ name: "Ops", scopes: ["admin"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${withBackups.url}/admin/`);
      await signIn(page, ops.token);
      await show(page, "system");
      await page
        .locator("main dl")
        .getByText(/^none: no scheduled backup yet/)
        .waitFor();
      await page.getByRole("button", { name: "Back up now" }).click();
      const taken = page.getByTestId("backup-taken");
      await taken
        .getByText(/^Backed up at .+: 1 token, 0 ledger rows, \d+ audit log rows?\.$/)
        .waitFor();
      const [file] = readdirSync(join(dir, "backups"));
      expect(file).toMatch(/^officellm-.+\.db$/);
      const system = await withBackups.fetch("/api/v1/admin/system", { token: ops.token });
      const { lastBackup } = (await system.json()) as { lastBackup: string | null };
      expect(lastBackup).not.toBeNull();
      // The screen reloaded: the last backup is this one.
      await page
        .locator("main dl")
        .getByText(/^none: no scheduled backup yet/)
        .waitFor({ state: "detached" });
      await screenshot(page, "admin-system-backup");

      await show(page, "audit");
      await page
        .getByRole("table", { name: "Audit log" })
        .getByRole("cell", { name: "backup.taken" })
        .waitFor();
    } finally {
      await context.close();
      await schedule.stop();
      await withBackups.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
