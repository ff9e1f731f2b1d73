/**
 * fill-with-answers.ts without a server: its input errors, and the selections that need no
 * request. The script is loaded without `fetch`, so any request would fail the test; its calls
 * to a real OfficeLLM server are in with-server.int.test.ts.
 */
import { describe, expect, it } from "vitest";
import { FakeWorkbook } from "./fake-workbook.ts";
import { consoleCapture, loadScript } from "./load-script.ts";
import type { FillWithAnswers } from "./mains.ts";

const url = "https://officellm.example.com";
const token = "ollm_not_a_real_token";

function selected(cells: Record<string, string>, address: string): FakeWorkbook {
  const book = new FakeWorkbook({ Sheet1: cells });
  book.select("Sheet1", address);
  return book;
}

describe("fill-with-answers", () => {
  it.each([
    [["officellm.example.com", token], /serverUrl must be your OfficeLLM server.*got "officellm/],
    [["", token], /serverUrl must be your OfficeLLM server/],
    [["https://", token], /serverUrl must be your OfficeLLM server/],
    [[url, "  "], /token is empty/],
    [[url, token, "", 0], /answerOffset must be a whole number other than 0; got 0/],
    [[url, token, "", 1.5], /answerOffset must be a whole number other than 0; got 1.5/],
    [[url, token, "", -1], /answerOffset -1 puts the answers outside the sheet/],
    [[url, token, "", 1, 0], /maxRequestBytes must be a whole number of at least 1; got 0/],
  ] as const)("refuses %j before any request", async (args, message) => {
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts");
    const call = fill as (workbook: FakeWorkbook, ...rest: unknown[]) => Promise<unknown>;
    await expect(call(selected({ A1: "a prompt" }, "A1:A3"), ...args)).rejects.toThrow(message);
  });

  it("asks nothing when no selected row has an unanswered prompt", async () => {
    const output = consoleCapture();
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts", { console: output });
    const cells = { A1: "answered", B1: "yes", A2: "  ", A3: "also answered", B3: "0", D20: "" };
    const book = selected(cells, "A1:A1000");
    const before = book.sheet("Sheet1").snapshot();
    expect(await fill(book, url, token)).toEqual({ answered: 0, failed: 0, skipped: 2 });
    expect(book.sheet("Sheet1").snapshot()).toEqual(before);
    expect(output.lines).toEqual([
      "OfficeLLM: 0 answered, 0 failed, 2 skipped (already answered).",
    ]);
  });

  it("asks nothing below the sheet's used range, however much is selected", async () => {
    const fill = loadScript<FillWithAnswers>("fill-with-answers.ts");
    const book = selected({}, "C1:C1048576");
    expect(await fill(book, url, token)).toEqual({ answered: 0, failed: 0, skipped: 0 });
    expect(book.sheet("Sheet1").reads).toBe(0);
  });
});
