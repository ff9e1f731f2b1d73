/**
 * The task pane outside Excel (office.js cannot load), and the features that need no
 * workbook: Ask, Chat, Templates, Usage; and how a rate limit reads.
 */
import { describe, expect, it } from "vitest";
import { connect, openTab, panel, screenshot, useAddinInBrowser } from "./pane.ts";

const addin = useAddinInBrowser();

describe("task pane outside Excel", () => {
  it("renders, says it is not inside Excel, and Ask still works", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open();
    await page
      .getByTestId("outside-excel")
      .getByText("OfficeLLM is not running inside Excel")
      .waitFor();
    await expect(page.getByTestId("host-badge").textContent()).resolves.toBe("Browser");

    await openTab(page, "Fill");
    await page.getByText("Fill works on the cells of a workbook").waitFor();
    await openTab(page, "Freeze");
    await page.getByText("Freeze works on the cells of a workbook").waitFor();

    await connect(page, token);
    await openTab(page, "Ask");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("What is a pivot table?");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.getByTestId("answer-meta").waitFor();
    await expect(page.getByTestId("answer").textContent()).resolves.toMatch(
      /^\[demo\] You asked: "What is a pivot table\?"/,
    );
    await expect(
      page.getByRole("button", { name: "Insert into active cell" }).count(),
    ).resolves.toBe(0);
    await page.getByText("Inserting into cells needs the add-in open in Excel.").waitFor();
    await screenshot(page, "outside-excel-ask");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a rate limit as a readable message with when to try again", async () => {
    const { token } = await addin.server.token({ rpm: 3 });
    const { page, context } = await addin.open();
    await connect(page, token);
    await openTab(page, "Ask");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Count to three");
    const alert = page.getByRole("alert");
    for (let attempt = 0; attempt < 6 && (await alert.count()) === 0; attempt++) {
      await page.getByRole("button", { name: "Ask", exact: true }).click();
      await page
        .getByRole("button", { name: "Ask", exact: true })
        .and(page.locator(":enabled"))
        .waitFor();
    }
    await expect(alert.textContent()).resolves.toMatch(
      /Rate limited: too many requests\. Try again in \d+ s\./,
    );
    await screenshot(page, "rate-limited");
    await context.close();
  });

  it("uses a template from the Templates tab, chats with history, and shows usage", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open();
    await connect(page, token);

    await openTab(page, "Templates");
    await page.getByRole("button", { name: "New template" }).click();
    await panel(page).getByRole("textbox", { name: /^Name/ }).fill("Product blurb");
    await panel(page)
      .getByRole("textbox", { name: /^Prompt/ })
      .fill("Write a blurb for {{product}} aimed at {{audience}}");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText('Saved "Product blurb".').waitFor();
    await page.getByText("Fill in: product, audience").waitFor();
    await page.getByRole("button", { name: "Use" }).click();

    await page.getByRole("tab", { name: "Ask", selected: true }).waitFor();
    await page.getByLabel("product").fill("a teapot");
    await page.getByLabel("audience").fill("students");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.getByTestId("answer-meta").waitFor();
    await expect(page.getByTestId("answer").textContent()).resolves.toContain(
      "Write a blurb for a teapot aimed at students",
    );

    await openTab(page, "Chat");
    await panel(page)
      .getByRole("textbox", { name: /^Message/ })
      .fill("Hello there");
    await page.keyboard.press("Enter");
    await page
      .getByTestId("chat-log")
      .getByText(/\[demo\] You asked: "Hello there"/)
      .waitFor();
    await page.getByRole("option", { name: "Hello there" }).waitFor({ state: "attached" });
    await panel(page)
      .getByRole("textbox", { name: /^Message/ })
      .fill("And again");
    await page.getByRole("button", { name: "Send" }).click();
    await page
      .getByTestId("chat-log")
      .getByText(/\[demo\] You asked: "And again"/)
      .waitFor();
    await screenshot(page, "chat");

    await openTab(page, "Usage");
    await page.getByTestId("usage-chart").waitFor();
    await expect(page.getByTestId("usage-totals").textContent()).resolves.toMatch(/3 calls/);
    await page.getByRole("table", { name: "Usage by model" }).getByText("demo").waitFor();
    await screenshot(page, "usage");
    expect(errors).toEqual([]);
    await context.close();
  });
});
