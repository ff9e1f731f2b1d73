/**
 * write-answers.ts (flow step 3) on an in-memory workbook: answers land in the rows their ids
 * name, failed and invalid results write nothing and are reported, filled cells are kept, and
 * answers are entered as text.
 */
import { describe, expect, it } from "vitest";
import { FakeWorkbook } from "./fake-workbook.ts";
import { loadScript } from "./load-script.ts";
import type { BatchResult, WriteAnswers } from "./mains.ts";

const writeAnswers = loadScript<WriteAnswers>("write-answers.ts");

function workbook(): FakeWorkbook {
  return new FakeWorkbook({
    Questions: {
      A1: "Question",
      B1: "Answer",
      A2: "First",
      A3: "Second",
      A4: "Third",
      B4: "typed by hand",
      A5: "Fourth",
      A9: "Far down",
    },
    Other: { B2: "" },
  });
}

const ok = (id: string, text: string): BatchResult => ({ id, ok: true, text });
const failed = (id: string, code: string, message: string): BatchResult => ({
  id,
  ok: false,
  error: { code, message },
});

describe("write-answers", () => {
  it("writes each answer into its row of the answer column, and nothing else", () => {
    const book = workbook();
    const before = book.sheet("Questions").snapshot();
    const results = [ok("2", "Answer one"), ok("9", "Answer nine"), ok("3", "Answer two")];
    const summary = writeAnswers(book, "Questions", "B", results);
    expect(summary).toEqual({ written: 3, skipped: 0, failed: [] });
    const written = Object.fromEntries(results.map((r) => [`B${r.id}`, r.text!]));
    expect(book.sheet("Questions").snapshot()).toEqual({ ...before, ...written });
    expect(book.sheet("Other").snapshot()).toEqual({});
  });

  it("reads the answer cells once, whatever the number of results", () => {
    const book = workbook();
    writeAnswers(book, "Questions", "B", [ok("2", "a"), ok("3", "b"), ok("5", "c"), ok("9", "d")]);
    expect(book.sheet("Questions").reads).toBe(1);
  });

  it("leaves a failed row's answer cell empty and reports its error", () => {
    const book = workbook();
    const summary = writeAnswers(book, "Questions", "B", [
      ok("2", "Answer one"),
      failed("3", "upstream_timeout", "openai did not answer in time"),
      { id: "5", ok: true },
    ]);
    expect(summary).toEqual({
      written: 1,
      skipped: 0,
      failed: [
        { id: "3", row: 3, code: "upstream_timeout", message: "openai did not answer in time" },
        { id: "5", row: 5, code: "no_answer", message: "The result has no text" },
      ],
    });
    expect(book.sheet("Questions").value("B3")).toBe("");
    expect(book.sheet("Questions").value("B5")).toBe("");
  });

  it("reports ids that name no row as invalid_id and writes nothing for them", () => {
    const book = workbook();
    const before = book.sheet("Questions").snapshot();
    const ids = ["0", "-3", "abc", "2.5", "07", "", "1048577", " 2"];
    const summary = writeAnswers(
      book,
      "Questions",
      "B",
      ids.map((id) => ok(id, "should not be written")),
    );
    expect(summary.written).toBe(0);
    expect(summary.failed.map(({ id, row, code }) => ({ id, row, code }))).toEqual(
      ids.map((id) => ({ id, row: 0, code: "invalid_id" })),
    );
    expect(summary.failed[0]!.message).toBe('"0" is not a row number of the sheet');
    expect(book.sheet("Questions").snapshot()).toEqual(before);
    // The last row of the sheet is one.
    expect(writeAnswers(book, "Questions", "B", [ok("1048576", "bottom")]).written).toBe(1);
    expect(book.sheet("Questions").value("B1048576")).toBe("bottom");
  });

  it("keeps a cell filled in the meantime, and counts it as skipped", () => {
    const book = workbook();
    const summary = writeAnswers(book, "Questions", "B", [
      ok("4", "from the model"),
      ok("2", "first answer"),
      ok("2", "second answer for the same row"),
    ]);
    expect(summary).toEqual({ written: 1, skipped: 2, failed: [] });
    expect(book.sheet("Questions").value("B4")).toBe("typed by hand");
    expect(book.sheet("Questions").value("B2")).toBe("first answer");
  });

  it("enters answers as text, even those Excel would read as formulas", () => {
    const book = workbook();
    const answers = ['=HYPERLINK("http://x")', "- first point\n- second point", "+1 555 0100"];
    writeAnswers(
      book,
      "Questions",
      "C",
      answers.map((text, index) => ok(String(index + 2), text)),
    );
    answers.forEach((text, index) => {
      expect(book.sheet("Questions").value(`C${index + 2}`)).toBe(text);
    });
    // A plain number stays a number, as Excel enters it.
    writeAnswers(book, "Questions", "D", [ok("2", "-12.5"), ok("3", "42")]);
    expect(book.sheet("Questions").value("D2")).toBe(-12.5);
    expect(book.sheet("Questions").value("D3")).toBe(42);
  });

  it("cuts an answer longer than a cell holds to 32,767 characters", () => {
    const book = workbook();
    const long = "word ".repeat(10_000);
    expect(writeAnswers(book, "Questions", "B", [ok("2", long)]).written).toBe(1);
    const kept = String(book.sheet("Questions").value("B2"));
    expect(kept).toHaveLength(32_767);
    expect(kept).toBe(`${long.slice(0, 32_766)}…`);
  });

  it("does nothing for no results", () => {
    const book = workbook();
    expect(writeAnswers(book, "Questions", "B", [])).toEqual({
      written: 0,
      skipped: 0,
      failed: [],
    });
    expect(book.sheet("Questions").reads).toBe(0);
  });

  it.each([
    [["Nope", "B"], /no worksheet named "Nope"/],
    [["Questions", "B1"], /answerColumn must be a column's letters.*got "B1"/],
    [["Questions", "XFE"], /answerColumn must be a column's letters/],
  ] as const)("refuses %j", ([sheet, column], message) => {
    expect(() => writeAnswers(workbook(), sheet, column, [ok("2", "x")])).toThrow(message);
  });
});
