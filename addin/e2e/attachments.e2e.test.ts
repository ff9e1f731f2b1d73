/**
 * Files in the task pane: Ask attaches a file with the picker, shows the text the model will
 * read, and sends it with the question; a file the backend refuses reads as a clear message.
 */
import { describe, expect, it } from "vitest";
import { connect, openTab, panel, useAddinInBrowser } from "./pane.ts";

const addin = useAddinInBrowser();

describe("attaching files in Ask", () => {
  it("uploads a file, shows what the model reads, and sends it with the question", async () => {
    const { token } = await addin.server.token();
    const { page, context, errors } = await addin.open();
    await connect(page, token);
    await openTab(page, "Ask");
    const ask = panel(page);
    await ask.getByTestId("file-picker").setInputFiles({
      name: "notes.md",
      mimeType: "text/markdown",
      buffer: Buffer.from("# Q3\nRevenue rose 4% in the North."),
    });
    await ask.getByText("notes.md").waitFor();
    await ask.getByText(/2 lines, 34 characters — what the model reads/).waitFor();
    await ask.getByText("notes.md").click();
    await expect(ask.locator("pre").textContent()).resolves.toBe(
      "# Q3\nRevenue rose 4% in the North.",
    );

    await ask.getByRole("textbox", { name: /^Prompt/ }).fill("Which region grew?");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.getByTestId("answer-meta").waitFor();
    // The demo model quotes the start of the last user message: the file comes first.
    await expect(page.getByTestId("answer").textContent()).resolves.toContain(
      'You asked: "<file name="notes.md"',
    );

    await ask.getByTestId("file-picker").setInputFiles({
      name: "broken.xlsx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("not a workbook"),
    });
    await ask.getByText("The file is not a valid XLSX workbook").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
