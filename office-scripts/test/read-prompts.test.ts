/**
 * read-prompts.ts (flow step 1) on an in-memory workbook: which rows it asks, with what ids and
 * prompts, its limits (maxItems, maxRequestBytes, `more`), how much of the sheet it reads, and
 * its input errors.
 */
import { describe, expect, it } from "vitest";
import { cellError, FakeWorkbook, MAX_EXCHANGE_BYTES } from "./fake-workbook.ts";
import { loadScript } from "./load-script.ts";
import type { ReadPrompts } from "./mains.ts";

const readPrompts = loadScript<ReadPrompts>("read-prompts.ts");

/** Row → [prompt cell, answer cell], with the header in row 1. */
const rows: Record<number, [string | number | boolean, string]> = {
  2: ["What is 2 + 2?", ""],
  3: ["  Capital of France?  ", ""],
  4: ["", ""],
  5: ["   ", ""],
  6: ["Already answered", "Yes"],
  7: [42, ""],
  8: [true, ""],
  9: ["Spaces count as an answer", "   "],
  10: ["Last one", ""],
};

/** The sheet "Questions": prompts in A, answers in B, a note in D12 that widens the used range. */
function workbook(): FakeWorkbook {
  const cells: Record<string, string | number | boolean> = {
    A1: "Question",
    B1: "Answer",
    D12: "note",
  };
  for (const [row, [prompt, answer]] of Object.entries(rows)) {
    cells[`A${row}`] = prompt;
    cells[`B${row}`] = answer;
  }
  return new FakeWorkbook({ Questions: cells });
}

/** What the rows above should give: a prompt's displayed text, trimmed, and no answer yet. */
function expectedItems(instruction = "", from = 2): { id: string; prompt: string }[] {
  return Object.entries(rows)
    .filter(([row]) => Number(row) >= from)
    .map(([row, [prompt, answer]]) => ({
      row,
      text: (typeof prompt === "boolean" ? (prompt ? "TRUE" : "FALSE") : String(prompt)).trim(),
      // Excel's Empty: a cell holding only spaces is filled.
      answered: answer !== "",
    }))
    .filter(({ text, answered }) => text !== "" && !answered)
    .map(({ row, text }) => ({
      id: row,
      prompt: instruction ? `${instruction}\n\n${text}` : text,
    }));
}

describe("read-prompts", () => {
  it("asks each row with a prompt and an empty answer cell, by row number", () => {
    const book = workbook();
    const before = book.sheet("Questions").snapshot();
    const out = readPrompts(book, "Questions", "A", "B");
    expect(out).toEqual({ batch: { items: expectedItems() }, more: false });
    expect(out.batch.items.map((item) => item.id)).toEqual(["2", "3", "7", "8", "10"]);
    expect(book.sheet("Questions").snapshot()).toEqual(before);
  });

  it("puts the instruction and a blank line before every prompt", () => {
    const instruction = "Answer in one word.";
    const out = readPrompts(workbook(), "Questions", "A", "B", 2, instruction);
    expect(out.batch.items).toEqual(expectedItems(instruction));
    const blank = readPrompts(workbook(), "Questions", "A", "B", 2, "  \n ");
    expect(blank.batch.items).toEqual(expectedItems());
  });

  it("starts at firstRow, and reads nothing below the used range", () => {
    expect(readPrompts(workbook(), "Questions", "A", "B", 7).batch.items).toEqual(
      expectedItems("", 7),
    );
    expect(readPrompts(workbook(), "Questions", "A", "B", 13)).toEqual({
      batch: { items: [] },
      more: false,
    });
    // From row 1, the header row is read too, and left out as answered ("Answer" in B1).
    expect(readPrompts(workbook(), "Questions", "A", "B", 1).batch.items).toEqual(expectedItems());
  });

  it("gives at most maxItems prompts, and says whether more rows are left", () => {
    const all = expectedItems();
    for (const maxItems of [1, 2, all.length - 1, all.length, all.length + 5]) {
      const out = readPrompts(workbook(), "Questions", "A", "B", 2, "", maxItems);
      expect(out.batch.items).toEqual(all.slice(0, maxItems));
      expect(out.more).toBe(all.length > maxItems);
    }
  });

  it("asks every prompt at the temperature given, and at none by default", () => {
    const zero = readPrompts(workbook(), "Questions", "A", "B", 2, "", 2, 1000000, 0);
    expect(zero.batch.items).toEqual(
      expectedItems()
        .slice(0, 2)
        .map((item) => ({ ...item, temperature: 0 })),
    );
    const unset = readPrompts(workbook(), "Questions", "A", "B", 2, "", 2);
    expect(unset.batch.items[0]).not.toHaveProperty("temperature");
  });

  it("counts as filled any answer cell that Excel does not call Empty", () => {
    const book = new FakeWorkbook({
      Sheet1: {
        A2: "spaces",
        B2: " ",
        A3: "zero",
        B3: 0,
        A4: "false",
        B4: false,
        A5: "error",
        B5: cellError("#N/A"),
        A6: "apostrophe only",
        A7: "open",
      },
    });
    book.sheet("Sheet1").getRange("B6").setValue("'");
    expect(readPrompts(book, "Sheet1", "A", "B").batch.items).toEqual([
      { id: "7", prompt: "open" },
    ]);
  });

  it("takes null for an optional parameter as its default, as a flow may pass it", () => {
    const call = readPrompts as (workbook: FakeWorkbook, ...rest: unknown[]) => unknown;
    expect(call(workbook(), "Questions", "A", "B", null, null, null, null)).toEqual(
      readPrompts(workbook(), "Questions", "A", "B"),
    );
    expect(call(workbook(), "Questions", "A", "B", 2, null)).toEqual({
      batch: { items: expectedItems() },
      more: false,
    });
    expect(call(workbook(), "Questions", "A", "B", undefined, "Be brief.")).toEqual({
      batch: { items: expectedItems("Be brief.") },
      more: false,
    });
  });

  it("keeps the batch's JSON within maxRequestBytes, counted in UTF-8", () => {
    // Two-byte, three-byte and four-byte characters, so that counting UTF-16 units would be wrong.
    const prompts = ["é".repeat(50), "€".repeat(40), "😀".repeat(30), "plain ascii", "ü"];
    const book = new FakeWorkbook({
      Sheet1: Object.fromEntries(prompts.map((prompt, index) => [`A${index + 2}`, prompt])),
    });
    const full = readPrompts(book, "Sheet1", "A", "B").batch;
    for (let count = 1; count <= prompts.length; count++) {
      const body = { items: full.items.slice(0, count) };
      const limit = Buffer.byteLength(JSON.stringify(body));
      for (const maxRequestBytes of [limit, limit + 1]) {
        const out = readPrompts(book, "Sheet1", "A", "B", 2, "", 100, maxRequestBytes);
        expect(out.batch).toEqual(body);
        expect(out.more).toBe(count < prompts.length);
      }
      if (count > 1) {
        const short = readPrompts(book, "Sheet1", "A", "B", 2, "", 100, limit - 1);
        expect(short.batch.items).toHaveLength(count - 1);
      }
    }
    // A prompt larger than the limit still goes, alone, so the server can say why it is refused.
    const alone = readPrompts(book, "Sheet1", "A", "B", 2, "", 100, 10);
    expect(alone).toEqual({ batch: { items: full.items.slice(0, 1) }, more: true });
  });

  it("takes column letters in either case, beyond Z too", () => {
    const book = new FakeWorkbook({ Wide: { AA2: "far right", AB2: "", AA3: "done", AB3: "x" } });
    expect(readPrompts(book, "Wide", "aa", "Ab").batch.items).toEqual([
      { id: "2", prompt: "far right" },
    ]);
  });

  it("gives an empty batch for an empty sheet", () => {
    const book = new FakeWorkbook({ Empty: {} });
    expect(readPrompts(book, "Empty", "A", "B")).toEqual({ batch: { items: [] }, more: false });
  });

  it.each([
    [["Nope", "A", "B"], /no worksheet named "Nope"/],
    [["Questions", "A", "B", 2, "", 1.5], /maxItems must be a whole number of at least 1/],
    [["Questions", "1", "B"], /promptColumn must be a column's letters.*got "1"/],
    [["Questions", "A", "B2"], /answerColumn must be a column's letters.*got "B2"/],
    [["Questions", "XFE", "B"], /promptColumn must be a column's letters.*got "XFE"/],
    [["Questions", "", "B"], /promptColumn must be a column's letters/],
    [["Questions", "A", "a"], /promptColumn and answerColumn must differ/],
    [["Questions", "A", "B", 0], /firstRow must be a whole number from 1 to 1048576; got 0/],
    [["Questions", "A", "B", 2.5], /firstRow must be a whole number/],
    [["Questions", "A", "B", 2, "", 0], /maxItems must be a whole number of at least 1; got 0/],
    [["Questions", "A", "B", 2, "", 10, -1], /maxRequestBytes must be a whole number/],
  ] as const)("refuses %j", (args, message) => {
    const call = readPrompts as (workbook: FakeWorkbook, ...rest: unknown[]) => unknown;
    expect(() => call(workbook(), ...args)).toThrow(message);
  });

  describe("reading a long column, within Excel's 5 MB an exchange", () => {
    /** 3,000 rows answered with 2 KB each (6 MB in all), then `open` rows still to answer. */
    function answeredColumn(open: number): FakeWorkbook {
      const cells: Record<string, string> = { A1: "Question", B1: "Answer" };
      for (let row = 2; row <= 3001; row++) {
        cells[`A${row}`] = `Question ${row}`;
        cells[`B${row}`] = `Answer ${row} `.padEnd(2048, "x");
      }
      for (let row = 3002; row < 3002 + open; row++) cells[`A${row}`] = `New question ${row}`;
      return new FakeWorkbook({ Sheet1: cells });
    }

    it("asks the new rows below thousands of long answers, reading none of those answers", () => {
      const book = answeredColumn(150);
      const sheet = book.sheet("Sheet1");
      // The whole answer column in one read is more than Excel hands over at once.
      expect(() => sheet.getRange("B2:B3001").getValues()).toThrow(/Office Scripts allow 5 MB/);
      sheet.readLog.length = 0;

      const out = readPrompts(book, "Sheet1", "A", "B");

      expect(out.batch.items.map((item) => item.id)).toEqual(
        Array.from({ length: 100 }, (_, index) => String(3002 + index)),
      );
      expect(out.more).toBe(true);
      // Only the answers' types are read, never their values, and prompts where no answer is.
      expect(sheet.readLog.filter((read) => read.address.startsWith("B"))).toEqual(
        ["B2:B1001", "B1002:B2001", "B2002:B3001", "B3002:B3151"].map((address) =>
          expect.objectContaining({ kind: "getValueTypes", address }),
        ),
      );
      // The 101st row, which makes `more` true, is the first of the fifth piece of prompts.
      const texts = sheet.readLog.filter((read) => read.kind === "getTexts");
      expect(texts.map((read) => read.address)).toEqual([
        "A3002:A3026",
        "A3027:A3051",
        "A3052:A3076",
        "A3077:A3101",
        "A3102:A3126",
      ]);
      const largest = Math.max(...sheet.readLog.map((read) => read.bytes));
      expect(largest).toBeLessThan(20_000);
    });

    it("reads no further than the first row beyond a full batch", () => {
      const cells: Record<string, string> = {};
      for (let row = 2; row <= 5001; row++) cells[`A${row}`] = `Question ${row}`;
      const book = new FakeWorkbook({ Sheet1: cells });
      const out = readPrompts(book, "Sheet1", "A", "B", 2, "", 3);
      expect(out).toEqual({
        batch: { items: ["2", "3", "4"].map((id) => ({ id, prompt: `Question ${id}` })) },
        more: true,
      });
      expect(book.sheet("Sheet1").readLog.map((read) => [read.kind, read.address])).toEqual([
        ["getValueTypes", "B2:B1001"],
        ["getTexts", "A2:A26"],
      ]);

      // Once the batch is full, the next row to ask is far below: it is found, and nothing after.
      const far = answeredColumn(0);
      const sheet = far.sheet("Sheet1").put({ B10: "", B11: "", B2500: "", A4000: "Last" });
      const found = readPrompts(far, "Sheet1", "A", "B", 2, "", 2);
      expect(found).toEqual({
        batch: {
          items: [
            { id: "10", prompt: "Question 10" },
            { id: "11", prompt: "Question 11" },
          ],
        },
        more: true,
      });
      expect(sheet.readLog.map((read) => read.address)).toEqual([
        "B2:B1001",
        "A10:A11",
        "B1002:B2001",
        "B2002:B3001",
        "A2500:A2500",
      ]);
    });

    it("reads prompts of the longest text a cell holds, 25 rows at a time", () => {
      // 32,767 control characters, six bytes each in JSON ("\u0001", the most a character
      // takes): 50 such cells would be 9.8 MB of JSON, 25 are 4.9 MB.
      const text = "\u0001".repeat(32_767);
      const cells: Record<string, string> = {};
      for (let row = 1; row <= 120; row++) cells[`A${row}`] = text;
      const book = new FakeWorkbook({ Sheet1: cells });
      const out = readPrompts(book, "Sheet1", "A", "B", 1, "", 500, 100_000_000);
      expect(out.batch.items).toHaveLength(120);
      expect(out.batch.items[119]).toEqual({ id: "120", prompt: text });
      const texts = book.sheet("Sheet1").readLog.filter((read) => read.kind === "getTexts");
      expect(texts.map((read) => read.rows)).toEqual([25, 25, 25, 25, 20]);
      const largest = Math.max(...texts.map((read) => read.bytes));
      // Each cell is `["…"]`, with a comma between cells, in one array more.
      expect(largest).toBe(25 * (6 * 32_767 + 4) + 24 + 2);
      expect(largest).toBeLessThanOrEqual(MAX_EXCHANGE_BYTES);
    });
  });
});
