/**
 * write-answers.ts (flow step 3) on an in-memory workbook: answers land in the rows their ids
 * name, failed and invalid results write nothing and are reported, filled cells are kept,
 * answers are entered as text, and the answer cells are read a little at a time.
 */
import { describe, expect, it } from "vitest";
import { cellError, FakeWorkbook } from "./fake-workbook.ts";
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

  it("reads the answer cells' types once for rows close together, whatever their number", () => {
    const book = workbook();
    writeAnswers(book, "Questions", "B", [ok("9", "a"), ok("3", "b"), ok("5", "c"), ok("2", "d")]);
    expect(book.sheet("Questions").readLog).toEqual([
      expect.objectContaining({ kind: "getValueTypes", address: "B2:B9" }),
    ]);
  });

  it("reads at most 100 rows at a time, and a row far from the others alone", () => {
    const book = workbook();
    const rows = [2, 3, 101, 102, 250, 7000, 7099, 1048576];
    const summary = writeAnswers(
      book,
      "Questions",
      "B",
      rows.map((row) => ok(String(row), `answer ${row}`)),
    );
    expect(summary).toEqual({ written: rows.length, skipped: 0, failed: [] });
    expect(book.sheet("Questions").readLog.map((read) => [read.kind, read.address])).toEqual([
      ["getValueTypes", "B2:B101"],
      ["getValueTypes", "B102:B102"],
      ["getValueTypes", "B250:B250"],
      ["getValueTypes", "B7000:B7099"],
      ["getValueTypes", "B1048576:B1048576"],
    ]);
  });

  it("never reads the long answers already in the column", () => {
    const cells: Record<string, string> = {};
    for (let row = 2; row <= 3001; row++) cells[`B${row}`] = `Answer ${row} `.padEnd(2048, "x");
    const book = new FakeWorkbook({ Sheet1: cells });
    const results = [ok("2", "late"), ok("1500", "late")];
    for (let row = 3002; row <= 3101; row++) results.push(ok(String(row), `answer ${row}`));
    expect(writeAnswers(book, "Sheet1", "B", results)).toEqual({
      written: 100,
      skipped: 2,
      failed: [],
    });
    const reads = book.sheet("Sheet1").readLog;
    expect(reads.every((read) => read.kind === "getValueTypes" && read.rows <= 100)).toBe(true);
    expect(book.sheet("Sheet1").value("B1500")).toMatch(/^Answer 1500 x/);
    expect(book.sheet("Sheet1").value("B3101")).toBe("answer 3101");
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

  it("writes only where Excel calls the cell Empty: spaces, 0, FALSE or an error are kept", () => {
    const book = new FakeWorkbook({
      Sheet1: { B2: " ", B3: 0, B4: false, B5: cellError("#N/A") },
    });
    const before = book.sheet("Sheet1").snapshot();
    const results = [2, 3, 4, 5, 6].map((row) => ok(String(row), "from the model"));
    expect(writeAnswers(book, "Sheet1", "B", results)).toEqual({
      written: 1,
      skipped: 4,
      failed: [],
    });
    expect(book.sheet("Sheet1").snapshot()).toEqual({ ...before, B6: "from the model" });
  });

  it("enters answers as text, even those Excel would read as formulas, dates, numbers…", () => {
    const book = workbook();
    const answers = [
      '=HYPERLINK("http://x")',
      "- first point\n- second point",
      "+1 555 0100",
      "3/4",
      "1-2",
      "2024-01-05",
      "50%",
      "TRUE",
      "false",
      "10:30",
      "$5",
      "1,000",
      "1e5",
      "007 ",
      "'quoted'",
      "plain words",
      // Numbers that Excel would not keep as written: a sign, a leading or trailing zero, digits
      // past the 15 significant ones Excel keeps.
      "+7",
      "02134",
      "1.50",
      "-0",
      "12345678901234567890",
      "0.30000000000000004",
      "1234567890123456",
    ];
    /** Writes the texts from row 2 of `column` down, and gives back what the cells hold. */
    const entered = (column: string, texts: string[]) => {
      const results = texts.map((text, index) => ok(String(index + 2), text));
      writeAnswers(book, "Questions", column, results);
      return texts.map((_, index) => book.sheet("Questions").value(`${column}${index + 2}`));
    };
    expect(entered("C", answers)).toEqual(answers);
    // A number written as it prints, with at most 15 significant digits, stays a number.
    const numbers = ["-12.5", "42", "0", "0.001", "123456789012345", "1200000000000000000", "1e-7"];
    expect(entered("D", numbers)).toEqual(numbers.map(Number));
  });

  it("sends 100 answers of the longest text a cell holds to Excel about 1 MB at a time", () => {
    // 32,767 three-byte characters: 98 KB of JSON each, 9.8 MB for the 100, twice what Excel
    // takes in one exchange.
    const text = "€".repeat(32_767);
    const size = Buffer.byteLength(JSON.stringify(`'${text}`));
    const book = new FakeWorkbook({ Sheet1: { A1: "Question" } });
    const results = Array.from({ length: 100 }, (_, index) => ok(String(index + 2), text));
    expect(writeAnswers(book, "Sheet1", "B", results)).toEqual({
      written: 100,
      skipped: 0,
      failed: [],
    });
    expect(book.sheet("Sheet1").value("B101")).toBe(text);
    const sent = book.exchanges.filter((exchange) => exchange.written > 0);
    // Eleven answers (1.08 MB) to an exchange, each sent by a read of the last one's type; the
    // last answer when the script ends.
    expect(sent.map((exchange) => exchange.written)).toEqual([
      ...Array.from({ length: 9 }, () => 11 * size),
      size,
    ]);
    expect(sent.map((exchange) => exchange.what)).toEqual([
      ...[12, 23, 34, 45, 56, 67, 78, 89, 100].map((row) => `getValueTypes of B${row}:B${row}`),
      "end of the script",
    ]);
  });

  it("cuts an answer longer than a cell holds to 32,767 characters", () => {
    const book = workbook();
    const long = "word ".repeat(10_000);
    expect(writeAnswers(book, "Questions", "B", [ok("2", long)]).written).toBe(1);
    const kept = String(book.sheet("Questions").value("B2"));
    expect(kept).toHaveLength(32_767);
    expect(kept).toBe(`${long.slice(0, 32_766)}…`);
  });

  it("never cuts a long answer between the two halves of a character", () => {
    const book = workbook();
    // "😀" is two UTF-16 units: the one at 32,765 and 32,766 would be split by a plain cut.
    const long = `${"a".repeat(32_765)}😀 and more`;
    writeAnswers(book, "Questions", "B", [ok("2", long), ok("3", `${"a".repeat(32_764)}😀 more`)]);
    expect(book.sheet("Questions").value("B2")).toBe(`${"a".repeat(32_765)}…`);
    expect(book.sheet("Questions").value("B3")).toBe(`${"a".repeat(32_764)}😀…`);
    for (const address of ["B2", "B3"]) {
      expect(String(book.sheet("Questions").value(address)).isWellFormed()).toBe(true);
    }
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
