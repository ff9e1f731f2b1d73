import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StandInCustomFunctionsError } from "./errors.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";
import { looksLikeOptions, parseOptions, splitTrailingOptions } from "./options.ts";
import { FakeCustomFunctionsError } from "./test-support.ts";
import {
  cellText,
  composePrompt,
  looksLikeHeader,
  parseList,
  renderTable,
  toCell,
  trimMatrix,
} from "./values.ts";

describe("ranges as tables", () => {
  it("drops empty rows and columns and uses a header-like first row as the header", () => {
    const range = [
      ["Name", "", "Age", ""],
      ["", "", "", ""],
      ["Ann", "", 31, null],
      ["Bob", "", 27, "  "],
      ["", "", "", ""],
    ];
    expect(renderTable(range, "Table 1")).toBe(
      [
        "Table 1 (2 rows × 2 columns):",
        "| Name | Age |",
        "| --- | --- |",
        "| Ann | 31 |",
        "| Bob | 27 |",
      ].join("\n"),
    );
  });

  it("labels columns itself when the first row is data", () => {
    const range = [
      [1, 2],
      [3, 4],
    ];
    expect(renderTable(range, "Table 2")).toBe(
      [
        "Table 2 (2 rows × 2 columns):",
        "| Column 1 | Column 2 |",
        "| --- | --- |",
        "| 1 | 2 |",
        "| 3 | 4 |",
      ].join("\n"),
    );
  });

  it("tells headers from data", () => {
    expect(
      looksLikeHeader([
        ["Region", "Sales"],
        ["North", 10],
      ]),
    ).toBe(true);
    expect(looksLikeHeader([["Region", "Sales"]])).toBe(false); // nothing below it
    expect(
      looksLikeHeader([
        ["2023", "2024"],
        [1, 2],
      ]),
    ).toBe(false); // numbers
    expect(
      looksLikeHeader([
        ["Name", "Name"],
        ["a", "b"],
      ]),
    ).toBe(false); // repeated
    expect(
      looksLikeHeader([
        ["yes", "x"],
        ["yes", "y"],
      ]),
    ).toBe(false); // value repeats below
    expect(
      looksLikeHeader([
        ["Bug", "Feature request"],
        ["Question", "Praise"],
      ]),
    ).toBe(false); // text over text: nothing sets the first row apart
    expect(
      looksLikeHeader([
        ["Closed", "Bug"],
        [true, "Question"],
      ]),
    ).toBe(true); // a column of booleans under text
    expect(looksLikeHeader([["Bug"], ["Feature request"], ["Question"]])).toBe(false); // a list
    expect(looksLikeHeader([["Amount"], [10], [12]])).toBe(false); // a single column is a list
    expect(
      looksLikeHeader([
        ["Name", ""],
        ["a", "b"],
      ]),
    ).toBe(false); // a blank heading
  });

  it("escapes pipes and line breaks so a cell stays one cell", () => {
    const table = renderTable(
      [
        ["Note", "Who"],
        ["a | b\nc", "Ann"],
      ],
      "Table 1",
    );
    expect(table).toContain("| a \\| b<br>c | Ann |");
  });

  it("renders an empty range as nothing", () => {
    expect(
      renderTable(
        [
          ["", null],
          [" ", ""],
        ],
        "Table 1",
      ),
    ).toBe("");
    expect(trimMatrix([["", ""]])).toEqual([]);
  });

  it("reads numbers, booleans and rich values as a person sees them", () => {
    expect(cellText(0.1 + 0.2)).toBe("0.3");
    expect(cellText(42)).toBe("42");
    expect(cellText(true)).toBe("TRUE");
    expect(cellText(null)).toBe("");
    expect(cellText({ type: "Entity", text: "Paris" })).toBe("Paris");
    expect(cellText({ type: "FormattedNumber", basicValue: 5 })).toBe("5");
  });
});

describe("COPILOT-style prompts: text and ranges interleaved", () => {
  it("joins text and single cells into a sentence and sets ranges off as numbered tables", () => {
    const prompt = composePrompt("Summarise", [
      [
        ["Region", "Sales"],
        ["North", 10],
        ["South", 12],
      ],
      [["in the style of"]],
      [["Shakespeare"]],
      [
        ["Q1", "Q2"],
        ["", ""],
        [1, 2],
      ],
    ]);
    expect(prompt).toBe(
      [
        "Summarise",
        "",
        "Table 1 (2 rows × 2 columns):",
        "| Region | Sales |",
        "| --- | --- |",
        "| North | 10 |",
        "| South | 12 |",
        "",
        "in the style of Shakespeare",
        "",
        "Table 2 (1 row × 2 columns):",
        "| Q1 | Q2 |",
        "| --- | --- |",
        "| 1 | 2 |",
      ].join("\n"),
    );
  });

  it("sends a single column or row as a list, never promoting its first value to a heading", () => {
    const column = [["Bug"], ["Feature request"], ["Question"]];
    const list = [
      "Classify",
      "",
      "List 1 (3 items):",
      "- Bug",
      "- Feature request",
      "- Question",
      "",
      "into one of these categories",
    ].join("\n");
    expect(composePrompt("Classify", [column, "into one of these categories"])).toBe(list);
    const row = [["Bug", "", "Feature request", "Question"]];
    expect(composePrompt("Classify", [row, "into one of these categories"])).toBe(list);
    // Lists and tables are numbered apart; a line break keeps an item on one line.
    expect(
      composePrompt("", [
        [["a\nb"], ["c"]],
        [
          [1, 2],
          [3, 4],
        ],
        [["x", "y"]],
      ]),
    ).toBe(
      [
        "List 1 (2 items):",
        "- a<br>b",
        "- c",
        "",
        "Table 1 (2 rows × 2 columns):",
        "| Column 1 | Column 2 |",
        "| --- | --- |",
        "| 1 | 2 |",
        "| 3 | 4 |",
        "",
        "List 2 (2 items):",
        "- x",
        "- y",
      ].join("\n"),
    );
  });

  it("never loses a value: every non-empty cell of every argument reaches the model", () => {
    // Cells are unique words or numbers (so each can be found once), booleans, or blanks.
    const cell = fc.oneof(
      fc.constantFrom("", "  ", null, true, false),
      fc.integer({ min: 1, max: 10 ** 6 }).map((n) => `w${n}`),
      fc.integer({ min: 1, max: 10 ** 6 }).map((n) => n + 0.25),
    );
    const argument = fc.oneof(
      cell,
      fc
        .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
        .chain(([rows, columns]) =>
          fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), {
            minLength: rows,
            maxLength: rows,
          }),
        ),
    );
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 4 }), (context) => {
        const sent = composePrompt("Look at", context);
        const words = (text: string) => text.split(/[\s|]+/).filter((word) => word !== "");
        const count = (list: string[]) =>
          list.reduce((counts, word) => counts.set(word, (counts.get(word) ?? 0) + 1), new Map());
        const given = count(
          context
            .flatMap((argument) => (Array.isArray(argument) ? argument.flat() : [argument]))
            .map((value) => cellText(value).trim())
            .filter((text) => text !== ""),
        );
        const received = count(words(sent));
        for (const [word, times] of given) {
          expect(received.get(word) ?? 0, word).toBeGreaterThanOrEqual(times);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("shows error cells as Excel does, whichever way the runtime passes them", () => {
    const javascriptError = new Error("#N/A");
    const namedError = Object.assign(new Error("A value is not available"), { name: "#N/A" });
    expect(cellText(new FakeCustomFunctionsError("#DIV/0!"))).toBe("#DIV/0!");
    expect(cellText(new FakeCustomFunctionsError("#N/A", "no match"))).toBe("#N/A");
    expect(cellText(javascriptError)).toBe("#N/A");
    expect(cellText(namedError)).toBe("#N/A");
    expect(cellText(new FakeCustomFunctionsError("#GETTING_DATA"))).toBe("#GETTING_DATA");
    expect(
      composePrompt("Explain", [
        [
          ["Region", "Margin"],
          ["North", new FakeCustomFunctionsError("#DIV/0!")],
          ["South", 0.2],
        ],
        new FakeCustomFunctionsError("#NAME?"),
      ]),
    ).toBe(
      [
        "Explain",
        "",
        "Table 1 (2 rows × 2 columns):",
        "| Region | Margin |",
        "| --- | --- |",
        "| North | #DIV/0! |",
        "| South | 0.2 |",
        "",
        "#NAME?",
      ].join("\n"),
    );
  });

  it("skips empty cells and ranges, and takes scalars as well as matrices", () => {
    expect(composePrompt("Hello", [[[""]], "world", [["", ""]], 42])).toBe("Hello world 42");
    expect(composePrompt("", [])).toBe("");
  });
});

describe("lists of fields and labels", () => {
  it("takes every non-empty cell of a range, or splits one cell on commas", () => {
    expect(parseList([["name"], [""], ["email"]])).toEqual(["name", "email"]);
    expect(parseList([["positive", "negative", "neutral"]])).toEqual([
      "positive",
      "negative",
      "neutral",
    ]);
    expect(parseList("name, email ,, phone")).toEqual(["name", "email", "phone"]);
    expect(parseList([["Yes, definitely", "No"]])).toEqual(["Yes, definitely", "No"]);
    expect(parseList([["a", "A", "b"]])).toEqual(["a", "b"]);
    expect(parseList(null)).toEqual([]);
  });
});

describe("answers as cells", () => {
  it("turns plain numbers into numbers and keeps everything else as text", () => {
    expect(toCell("42")).toBe(42);
    expect(toCell("-3.5")).toBe(-3.5);
    expect(toCell("007")).toBe("007");
    expect(toCell("1e5")).toBe("1e5");
    expect(toCell("12%")).toBe("12%");
    expect(toCell(null)).toBe("");
    expect(toCell("x".repeat(40_000))).toHaveLength(32_767);
  });
});

describe("options", () => {
  it("parses model, temperature, maxTokens and cache, keys in any case", () => {
    expect(parseOptions("model=gpt-4o-mini; Temperature = 0.2;MAXTOKENS=300;cache=false;")).toEqual(
      { model: "gpt-4o-mini", temperature: 0.2, maxTokens: 300, cache: false },
    );
    expect(parseOptions(null)).toEqual({});
    expect(parseOptions("")).toEqual({});
  });

  it("refuses bad values and unknown text with #VALUE!", () => {
    for (const bad of [
      "temperature=3",
      "temperature=hot",
      "maxTokens=0",
      "cache=maybe",
      "model=a b",
      "colour=red",
      "model=a;model=b",
    ]) {
      const error = (() => {
        try {
          parseOptions(bad);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, bad).toBeInstanceOf(StandInCustomFunctionsError);
      expect((error as StandInCustomFunctionsError).code).toBe("#VALUE!");
    }
  });

  it("takes the options: prefix, in any case, as options too", () => {
    expect(parseOptions("Options: model=openai/gpt-4o; temperature=0.5")).toEqual({
      model: "openai/gpt-4o",
      temperature: 0.5,
    });
    expect(looksLikeOptions("options:cache=false")).toBe(true);
  });

  it("only takes a last argument that starts with options:, never option-shaped text", () => {
    expect(looksLikeOptions("model=claude-sonnet-4; temperature=0.2")).toBe(true);
    expect(looksLikeOptions("Explain the model = reality gap")).toBe(false);
    expect(looksLikeOptions("temperature: 0.2")).toBe(false);
    const withOptions = splitTrailingOptions([[["a"]], [["options: temperature=0.5"]]]);
    expect(withOptions).toEqual({ context: [[["a"]]], options: { temperature: 0.5 } });
    // As in =COPILOT(), option-shaped text without the prefix is prompt text.
    const bare = [[["a"]], [["temperature=0.5"]]];
    expect(splitTrailingOptions(bare)).toEqual({ context: bare, options: {} });
    const without = splitTrailingOptions([[["a"]], [["in French"]]]);
    expect(without).toEqual({ context: [[["a"]], [["in French"]]], options: {} });
    // A range is never options, even if a cell of it looks like them.
    const range = [[["options: model=x"], ["y"]]];
    expect(splitTrailingOptions(range)).toEqual({ context: range, options: {} });
  });
});

describe("request keys", () => {
  it("is SHA-256, byte for byte", () => {
    for (const text of ["", "abc", "é✓ 😀", "x".repeat(1000), "a".repeat(55), "a".repeat(56)]) {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    }
  });

  it("serialises equal requests the same whatever their key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });
});
