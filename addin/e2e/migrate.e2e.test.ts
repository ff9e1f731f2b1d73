/**
 * The Migrate screen in Chromium at a narrow task pane's size (350 × 700): the real built add-in,
 * served by the real backend, over the in-memory Excel host.
 */
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { FakeCellValue, FakeExcelSeed, FakeFormulaCell } from "./fake-excel.ts";
import { connect, formula, openTab, panel, screenshot, useAddinInBrowser } from "./pane.ts";

const addin = useAddinInBrowser();

/** Two sheets with formulas (20 COPILOT, 10 Cellm, 5 Labs, one that cannot move), one without. */
function workbook(): { seed: FakeExcelSeed; originals: Map<string, string> } {
  const cells: Record<string, FakeCellValue | FakeFormulaCell> = {};
  for (let row = 1; row <= 20; row++) {
    cells[`Reviews!A${row}`] = `Review ${row}`;
    cells[`Reviews!B${row}`] = {
      formula: `=IFERROR(COPILOT("Classify, briefly:", A${row}), "")`,
      value: "#NAME?",
    };
  }
  for (let row = 1; row <= 10; row++) {
    cells[`'Q1 Sales'!A${row}`] = `Region ${row}`;
    cells[`'Q1 Sales'!B${row}`] = {
      formula: `=PROMPT.TOROW("Three ideas for", A${row})`,
      value: "#NAME?",
    };
  }
  for (let row = 11; row <= 15; row++)
    cells[`'Q1 Sales'!B${row}`] = {
      formula: `=LABS.GENERATIVEAI("Write about "&A${row}, 0.2)`,
      value: "old",
    };
  cells["'Q1 Sales'!C1"] = { formula: "=COPILOT()", value: "#NAME?" };
  const originals = new Map(
    Object.entries(cells).flatMap(([address, cell]) =>
      typeof cell === "object" ? [[address, cell.formula]] : [],
    ),
  );
  return { seed: { sheets: ["Reviews", "Notes", "Q1 Sales"], cells }, originals };
}

async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe("the Migrate screen", () => {
  it("scans, shows each change, converts one, then all, and restores the originals", async () => {
    const { token } = await addin.server.token();
    const { seed, originals } = workbook();
    const { page, context, errors } = await addin.open({ excel: seed });
    await page.setViewportSize({ width: 350, height: 700 });
    await connect(page, token);
    await openTab(page, "Migrate");
    await panel(page).getByRole("button", { name: "Scan the workbook" }).click();

    const summary = page.getByTestId("migrate-summary");
    await summary.getByText("36 formulas on 2 sheets").waitFor();
    await summary
      .getByText("35 convert exactly; 1 needs you (see the reasons below). 31 show #NAME? now.")
      .waitFor();
    await expect(page.getByTestId("migrate-estimate").textContent()).resolves.toMatch(
      // 20 reviews, 10 regions, and 5 "Write about" on empty cells that ask the same.
      /send 31 distinct prompts \(35 calls; calls that ask the same are asked once\)\. Estimated cost: about \$[\d.]+ with \S+ where a formula names no model\.$/,
    );

    await page.getByRole("button", { name: "Q1 Sales: 16 formulas" }).click();
    const sales = page.getByTestId("migrate-sheet-Q1 Sales");
    await sales.getByText("PROMPT.TOROW × 10").waitFor();
    await sales.getByText('=LLM.PROMPT.TOROW("Three ideas for", A3)').waitFor();
    await sales.getByText("COPILOT: no prompt to move").waitFor();
    expect(await fitsWidth(page)).toBe(true);
    const axe = await new AxeBuilder({ page }).include('[data-testid="migrate"]').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes[0]?.html}`)).toEqual([]);
    await screenshot(page, "migrate-review");

    await sales.getByRole("button", { name: "Convert 'Q1 Sales'!B3" }).click();
    await page
      .getByTestId("migrate-status")
      .getByText(/^Converted 1 formula\./)
      .waitFor();
    expect(await formula(page, "'Q1 Sales'!B3")).toBe('=LLM.PROMPT.TOROW("Three ideas for", A3)');

    await page.getByRole("button", { name: "Convert all (34)" }).click();
    await page
      .getByTestId("migrate-status")
      .getByText(/^Converted 34 formulas\./)
      .waitFor();
    expect(await formula(page, "Reviews!B7")).toBe(
      '=IFERROR(LLM.PROMPT("Classify, briefly:", A7), "")',
    );
    expect(await formula(page, "'Q1 Sales'!B12")).toBe(
      '=LLM.PROMPT("Write about "&A12, "options: temperature=0.2")',
    );
    expect(await formula(page, "'Q1 Sales'!C1")).toBe("=COPILOT()");
    await page
      .getByTestId("migrate-record")
      .getByText(/^35 formulas converted/)
      .waitFor();
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, "migrate-converted");

    await page.getByRole("button", { name: "Restore the originals" }).click();
    await page.getByTestId("migrate-status").getByText("Restored 35 formulas.").waitFor();
    for (const [address, original] of originals)
      expect(await formula(page, address)).toBe(original);
    await expect(page.getByTestId("migrate-record").count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
