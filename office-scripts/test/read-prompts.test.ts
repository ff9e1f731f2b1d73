/**
 * read-prompts.ts (flow step 1) on an in-memory workbook: which rows it asks, with what ids and
 * prompts, its limits (maxItems, maxRequestBytes, `remaining`) and its input errors.
 */
import { describe, expect, it } from "vitest";
import { FakeWorkbook } from "./fake-workbook.ts";
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
  9: ["Last one", "   "],
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
      answered: answer.trim() !== "",
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
    expect(out).toEqual({ batch: { items: expectedItems() }, remaining: 0 });
    expect(out.batch.items.map((item) => item.id)).toEqual(["2", "3", "7", "8", "9"]);
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
      remaining: 0,
    });
    // From row 1, the header row is read too, and left out as answered ("Answer" in B1).
    expect(readPrompts(workbook(), "Questions", "A", "B", 1).batch.items).toEqual(expectedItems());
  });

  it("gives at most maxItems prompts and counts the others in remaining", () => {
    const all = expectedItems();
    for (const maxItems of [1, 2, all.length, all.length + 5]) {
      const out = readPrompts(workbook(), "Questions", "A", "B", 2, "", maxItems);
      expect(out.batch.items).toEqual(all.slice(0, maxItems));
      expect(out.remaining).toBe(Math.max(0, all.length - maxItems));
    }
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
        expect(out.remaining).toBe(prompts.length - count);
      }
      if (count > 1) {
        const short = readPrompts(book, "Sheet1", "A", "B", 2, "", 100, limit - 1);
        expect(short.batch.items).toHaveLength(count - 1);
      }
    }
    // A prompt larger than the limit still goes, alone, so the server can say why it is refused.
    const alone = readPrompts(book, "Sheet1", "A", "B", 2, "", 100, 10);
    expect(alone).toEqual({ batch: { items: full.items.slice(0, 1) }, remaining: 4 });
  });

  it("takes column letters in either case, beyond Z too", () => {
    const book = new FakeWorkbook({ Wide: { AA2: "far right", AB2: "", AA3: "done", AB3: "x" } });
    expect(readPrompts(book, "Wide", "aa", "Ab").batch.items).toEqual([
      { id: "2", prompt: "far right" },
    ]);
  });

  it("gives an empty batch for an empty sheet", () => {
    const book = new FakeWorkbook({ Empty: {} });
    expect(readPrompts(book, "Empty", "A", "B")).toEqual({ batch: { items: [] }, remaining: 0 });
  });

  it.each([
    [["Nope", "A", "B"], /no worksheet named "Nope"/],
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
});
