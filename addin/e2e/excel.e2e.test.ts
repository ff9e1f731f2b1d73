/**
 * The task pane inside (a stand-in for) Excel: the real built add-in, served by the real
 * backend with the offline `demo` provider, in Chromium.
 */
import { describe, expect, it } from "vitest";
import type { FakeExcelSeed } from "./fake-excel.ts";
import {
  cell,
  cells,
  connect,
  eventually,
  formula,
  openTab,
  panel,
  screenshot,
  useAddinInBrowser,
} from "./pane.ts";

const addin = useAddinInBrowser();

const NAMES = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "John",
  "Margaret",
  "Dennis",
];
const CITIES = [
  "London",
  "Arlington",
  "Wilmslow",
  "Nuenen",
  "Boston",
  "Stanford",
  "Ithaca",
  "Princeton",
  "Boston",
  "Murray Hill",
];

/** 20 rows of names (A) and cities (B), selected. */
function twentyRows(): FakeExcelSeed {
  const seeded: Record<string, string> = {};
  for (let row = 1; row <= 20; row++) {
    seeded[`A${row}`] = `${NAMES[(row - 1) % 10]} ${row}`;
    seeded[`B${row}`] = CITIES[(row - 1) % 10]!;
  }
  return { cells: seeded, selection: "Sheet1!A1:B20" };
}

async function startFill(page: import("playwright-core").Page) {
  await openTab(page, "Fill");
  await page.getByRole("button", { name: "Use the selected range" }).click();
  await page.getByTestId("fill-range").getByText("Input: Sheet1!A1:B20").waitFor();
  await panel(page)
    .getByRole("textbox", { name: /^Prompt/ })
    .fill("Write a one-line greeting for {{A}} who lives in {{B}}");
  await expect(page.getByLabel("Output column").inputValue()).resolves.toBe("C");
  await page.getByTestId("fill-estimate").getByText("20 rows to fill").waitFor();
}

describe("task pane in Excel", () => {
  it("connects with a token, shows who that is, and remembers it", async () => {
    const { token } = await addin.server.token({ name: "Ada Lovelace" });
    const { page, context, errors } = await addin.open({ excel: {} });
    await page.getByTestId("host-badge").getByText("Excel", { exact: true }).waitFor();
    // The backend URL defaults to the page's own origin.
    await expect(page.getByLabel("Backend URL").inputValue()).resolves.toBe(addin.server.url);

    await page.getByLabel("Token").fill("oll_not-a-real-token");
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page
      .getByRole("alert")
      .getByText(/did not accept the token/)
      .waitFor();

    await connect(page, token);
    await expect(page.getByTestId("connected").textContent()).resolves.toContain("Ada Lovelace");
    await screenshot(page, "connect");

    await page.reload();
    await page.getByRole("tab", { name: "Ask", selected: true }).waitFor();
    await openTab(page, "Connect");
    await page.getByText("Connected as Ada Lovelace").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("asks, streams the answer in, and inserts it into the active cell", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({
      excel: { selection: "Sheet1!B3:D6", active: "Sheet1!C4" },
    });
    await connect(page, token);
    await openTab(page, "Ask");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Name three rivers of Europe");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    const answer = page.getByTestId("answer");
    await page.getByTestId("answer-meta").waitFor();
    const text = (await answer.textContent())!;
    expect(text).toMatch(/^\[demo\] You asked: "Name three rivers of Europe"/);
    await expect(answer.getAttribute("aria-live")).resolves.toBe("polite");

    await page.getByRole("button", { name: "Insert into active cell" }).click();
    await page.getByTestId("insert-status").getByText("Inserted into Sheet1!C4").waitFor();
    expect(await cell(page, "C4")).toBe(text);
    expect(String(await cell(page, "C4"))).toMatch(/^\[demo\]/);

    // Below as rows: the one-line answer goes into the active cell; an occupied cell below asks first.
    await page.evaluate(() =>
      (
        window as unknown as { __fakeExcel: { select(a: string, b?: string): void } }
      ).__fakeExcel.select("Sheet1!E1"),
    );
    await page.getByRole("button", { name: "Insert below as rows" }).click();
    await page.getByText("Inserted 1 row into Sheet1!E1").waitFor();
    expect(await cell(page, "E1")).toBe(text);
    await screenshot(page, "ask-inserted");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("fills a 20-row range with progress, writing every answer to the output column", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({ excel: twentyRows() });
    await connect(page, token);
    await startFill(page);
    await expect(page.getByTestId("fill-estimate").textContent()).resolves.toMatch(
      /Estimated cost: about \$0\.00/,
    );
    await screenshot(page, "fill-ready");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page
      .getByTestId("fill-status")
      .getByText("Done: 20 of 20 rows filled in column C.")
      .waitFor();
    await expect(page.getByRole("progressbar").getAttribute("aria-valuenow")).resolves.toBe("1");

    const output = await cells(page, "C1:C20");
    expect(output).toHaveLength(20);
    output.forEach(([value], index) => {
      const row = index + 1;
      expect(String(value)).toMatch(/^\[demo\] /);
      expect(String(value)).toContain(
        `${NAMES[index % 10]} ${row} who lives in ${CITIES[index % 10]}`,
      );
    });
    // The inputs are untouched.
    expect(await cell(page, "A7")).toBe("Frances 7");
    await screenshot(page, "fill-done");

    // Running again skips the rows already answered.
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Write a one-line greeting for {{A}} who lives in {{B}} ");
    await page.getByTestId("fill-estimate").getByText("0 rows to fill", { exact: true }).waitFor();
    await page.getByText("20 already answered skipped").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("cancels a fill midway: some rows stay unfilled, and no error is shown", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({ excel: twentyRows() });
    // Rows go 5 to a request, 2 requests at a time. The first request is answered; the others
    // are held until the pane gives up on them, so they are in flight when the fill is cancelled.
    const held: import("playwright-core").Route[] = [];
    let batches = 0;
    await page.route(`${addin.server.url}/api/v1/batch`, async (route) => {
      if (batches++ === 0) await route.continue();
      else held.push(route);
    });
    const abandoned: string[] = [];
    page.on("requestfailed", (request) => {
      if (request.url().endsWith("/api/v1/batch"))
        abandoned.push(request.failure()?.errorText ?? "");
    });
    await connect(page, token);
    await startFill(page);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();

    await eventually("the first answers", async () => (await cell(page, "C5")) !== "");
    await eventually("two requests in flight", async () => held.length === 2);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page
      .getByTestId("fill-status")
      .getByText(/^Cancelled: \d+ of 20 rows filled; \d+ not run\.$/)
      .waitFor();
    // The requests in flight were aborted: nothing can land after the cancel.
    await eventually("the requests in flight to be aborted", async () => abandoned.length === 2);
    await Promise.all(held.map((route) => route.continue().catch(() => {})));

    const filled = (await cells(page, "C1:C20")).filter(([value]) => value !== "").length;
    expect(filled).toBe(5);
    const status = await page.getByTestId("fill-status").textContent();
    expect(status).toBe("Cancelled: 5 of 20 rows filled; 15 not run.");
    await expect(page.getByRole("alert").count()).resolves.toBe(0);
    await expect(page.getByTestId("fill-failed").count()).resolves.toBe(0);
    await screenshot(page, "fill-cancelled");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("marks a failed row and retries it on its own", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open({ excel: twentyRows() });
    // Row 7 fails once, as a provider error would.
    let failures = 0;
    await page.route(`${addin.server.url}/api/v1/batch`, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { results: { id: string; ok: boolean }[] };
      const results = body.results.map((result) =>
        result.id === "7" && failures++ === 0
          ? { id: "7", ok: false, error: { code: "upstream_error", message: "The model failed" } }
          : result,
      );
      await route.fulfill({ response, json: { results } });
    });
    await connect(page, token);
    await startFill(page);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page
      .getByTestId("fill-status")
      .getByText("Done: 19 of 20 rows filled in column C, 1 failed.")
      .waitFor();
    expect(await cell(page, "C7")).toBe("#FAILED: The model failed");
    await page.getByTestId("fill-failed").getByText("Sheet1!C7: The model failed").waitFor();
    await screenshot(page, "fill-failed-row");

    await page.getByRole("button", { name: "Retry row 7" }).click();
    await page
      .getByTestId("fill-status")
      .getByText("Done: 20 of 20 rows filled in column C.")
      .waitFor();
    expect(String(await cell(page, "C7"))).toMatch(/^\[demo\] .*Frances 7/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("freezes =LLM formulas in the selection into their values", async () => {
    const { page, context, errors } = await addin.open({
      excel: {
        selection: "Sheet1!A1:C3",
        cells: {
          A1: { formula: '=LLM.PROMPT("Capital of France")', value: "Paris" },
          A2: { formula: "=SUM(1,2)", value: 3 },
          A3: { formula: '=LLM.CLASSIFY(B1,"yes,no")', value: "#VALUE!" },
          B1: {
            formula: '=LLM.LIST("Three colours")',
            value: "red",
            spill: [["red"], ["green"], ["blue"]],
          },
          C1: { formula: '=UPPER(LLM.TRANSLATE("chat","en"))', value: "CAT" },
        },
      },
    });
    await openTab(page, "Freeze");
    await page.getByRole("button", { name: "Freeze the selection" }).click();
    await page
      .getByTestId("freeze-status")
      .getByText(
        "Froze 3 formulas in Sheet1!A1:C3. 1 showing an error or still calculating kept their formulas.",
      )
      .waitFor();
    expect(await formula(page, "A1")).toBe("Paris");
    expect(await formula(page, "A2")).toBe("=SUM(1,2)");
    expect(await formula(page, "A3")).toBe('=LLM.CLASSIFY(B1,"yes,no")');
    expect(await cells(page, "B1:B3")).toEqual([["red"], ["green"], ["blue"]]);
    expect(await formula(page, "B2")).toBe("green");
    expect(await formula(page, "C1")).toBe("CAT");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("follows a dark Office theme", async () => {
    const { token } = await addin.server.token();
    const { page, context } = await addin.open({ excel: { dark: true } });
    await connect(page, token);
    await openTab(page, "Ask");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Hello");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.getByTestId("answer-meta").waitFor();
    await expect(page.locator("[data-theme]").first().getAttribute("data-theme")).resolves.toBe(
      "dark",
    );
    const background = await page.evaluate(
      () => getComputedStyle(document.querySelector("[data-theme] > div")!).backgroundColor,
    );
    expect(background).not.toBe("rgb(255, 255, 255)");
    await screenshot(page, "ask-dark");
    await context.close();
  });
});
