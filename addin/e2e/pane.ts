/**
 * Opens the real built task pane, served by the real backend, in the Chromium, Chrome or Edge
 * that scripts/find-chromium.ts finds (CHROMIUM_PATH first): with the in-memory Excel host
 * injected (office.js from the CDN answered with an empty script, so the stand-in stays), or with
 * office.js failing to load (a plain browser, offline).
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, beforeAll, inject } from "vitest";
import { findChromium } from "../../scripts/find-chromium.ts";
import { startTestServer, type TestServer } from "../../server/test/harness.ts";
import { installFakeExcel, type FakeExcelSeed, type FakeCellValue } from "./fake-excel.ts";

const screenshots = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));

/** The real backend, serving the add-in as built for this test run (build-addin.ts). */
export function startAddinServer(
  options: Parameters<typeof startTestServer>[0] = {},
): Promise<TestServer> {
  return startTestServer({ ...options, addinDirectory: inject("addinDirectory") });
}

/** Launches the browser found; without one, fails with the message that names CHROMIUM_PATH. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The backend and the browser a test file shares, and panes opened on them. */
export interface AddinInBrowser {
  /** The backend; read it inside a test or hook, once `beforeAll` has started it. */
  readonly server: TestServer;
  open(options?: OpenPaneOptions): Promise<Pane>;
}

/**
 * Starts the backend (startAddinServer) and the browser before the calling file's tests, and
 * closes both after them.
 */
export function useAddinInBrowser(): AddinInBrowser {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startAddinServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("The backend and the browser start in beforeAll");
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    open: (options) => openPane(started(browser), started(server), options),
  };
}

export interface Pane {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors and console errors in the page. */
  errors: string[];
}

export interface OpenPaneOptions {
  excel?: FakeExcelSeed;
  colorScheme?: "light" | "dark";
  /** The page's size; a default task pane (350 × 700) unless a test needs more. */
  viewport?: { width: number; height: number };
  /** Runs before the page loads (after the fake Excel is installed): more init scripts, routes. */
  beforeLoad?: (page: Page, context: BrowserContext) => Promise<void>;
}

export async function openPane(
  browser: Browser,
  server: TestServer,
  options: OpenPaneOptions = {},
): Promise<Pane> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 360, height: 760 },
    colorScheme: options.colorScheme ?? "light",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // The blocked CDN script is expected; anything else is worth a look.
    // Failed loads (the blocked CDN script, a 401 for a wrong token) are expected.
    if (message.type() === "error" && !/net::ERR_|Failed to load resource/.test(message.text()))
      errors.push(message.text());
  });
  await page.route("https://appsforoffice.microsoft.com/**", (route) =>
    options.excel
      ? route.fulfill({
          status: 200,
          contentType: "text/javascript",
          body: "/* office.js is not loaded in tests: the page has a stand-in */",
        })
      : route.abort("internetdisconnected"),
  );
  if (options.excel) await page.addInitScript(installFakeExcel, options.excel);
  await options.beforeLoad?.(page, context);
  await page.goto(`${server.url}/addin/taskpane.html`);
  return { page, context, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true });
}

/** Opens a tab: on the row, or from the "More" menu the tabs that do not fit go into. */
export async function openTab(page: Page, name: string): Promise<void> {
  // The row is measured once laid out; at a pane's width some tabs always overflow.
  const more = page.getByTestId("more-tabs");
  await more.waitFor();
  const tab = page.getByRole("tab", { name, exact: true });
  if (await tab.isVisible()) {
    await tab.click();
  } else {
    await more.click();
    await page.getByRole("menuitem", { name, exact: true }).click();
  }
  await page.getByRole("tab", { name, exact: true, selected: true }).waitFor();
}

/** The tab panel on show (the others stay mounted, hidden). */
export function panel(page: Page): Locator {
  return page.locator('[role="tabpanel"]:not([hidden])');
}

/** Signs in on the Connect tab with a token of the test server. */
export async function connect(page: Page, token: string): Promise<void> {
  await openTab(page, "Connect");
  await panel(page).getByLabel("Token").fill(token);
  await panel(page).getByRole("button", { name: "Connect", exact: true }).click();
  await panel(page)
    .getByText(/Connected as/)
    .waitFor();
}

export function cell(page: Page, address: string): Promise<FakeCellValue> {
  return page.evaluate(
    (a) =>
      (window as unknown as { __fakeExcel: { get(a: string): FakeCellValue } }).__fakeExcel.get(a),
    address,
  );
}

export function cells(page: Page, address: string): Promise<FakeCellValue[][]> {
  return page.evaluate(
    (a) =>
      (
        window as unknown as { __fakeExcel: { values(a: string): FakeCellValue[][] } }
      ).__fakeExcel.values(a),
    address,
  );
}

export function formula(page: Page, address: string): Promise<string> {
  return page.evaluate(
    (a) =>
      (window as unknown as { __fakeExcel: { formula(a: string): string } }).__fakeExcel.formula(a),
    address,
  );
}

/**
 * Polls until `check` is truthy, every 100 ms; throws with `what` after `timeoutMs`, a guard
 * against a hang generous enough for a loaded machine.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
