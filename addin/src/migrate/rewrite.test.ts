import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectSeparator, parseFormula } from "./formula.ts";
import { identify, mayCallSource, rewriteFormula } from "./rewrite.ts";

/** [before, after]: formulas as people wrote them, each rewritten exactly. */
const EXACT: [string, string][] = [
  // COPILOT: the interleaved form moves as it is.
  [
    '=COPILOT("Classify", B2:B10, "as positive or negative")',
    '=LLM.PROMPT("Classify", B2:B10, "as positive or negative")',
  ],
  ["=COPILOT(A1:D10)", "=LLM.PROMPT(A1:D10)"],
  ['=COPILOT("Explain", "temperature=0.5")', '=LLM.PROMPT("Explain", "temperature=0.5")'],
  // Nested in other functions, and in itself.
  ['=IFERROR(COPILOT("Summarise", A2), "")', '=IFERROR(LLM.PROMPT("Summarise", A2), "")'],
  ['=COPILOT(COPILOT("inner", A1), "outer")', '=LLM.PROMPT(LLM.PROMPT("inner", A1), "outer")'],
  [
    '=UPPER(LEFT(COPILOT("Name a colour"),1))&"!"',
    '=UPPER(LEFT(LLM.PROMPT("Name a colour"),1))&"!"',
  ],
  // Quoted commas, parentheses and quotes stay inside their strings.
  [
    '=COPILOT("Classify, (quickly), as ""good"" or bad:", A1)',
    '=LLM.PROMPT("Classify, (quickly), as ""good"" or bad:", A1)',
  ],
  ['=COPILOT("COPILOT(x)", A1)', '=LLM.PROMPT("COPILOT(x)", A1)'],
  // Sheet names with spaces and quotes, external workbooks.
  [
    "=COPILOT(\"Compare\", 'Q1 Sales'!A1:B9, 'Bob''s data'!C:C)",
    "=LLM.PROMPT(\"Compare\", 'Q1 Sales'!A1:B9, 'Bob''s data'!C:C)",
  ],
  ["='It''s'!A1&COPILOT(\"hi\")", "='It''s'!A1&LLM.PROMPT(\"hi\")"],
  ['=COPILOT("x", [Budget.xlsx]Plan!A1)', '=LLM.PROMPT("x", [Budget.xlsx]Plan!A1)'],
  // Structured references, spilled ranges, array constants.
  [
    '=COPILOT("Tone of", Reviews[@Text], "for", Reviews[[#This Row],[Product]])',
    '=LLM.PROMPT("Tone of", Reviews[@Text], "for", Reviews[[#This Row],[Product]])',
  ],
  [
    '=COPILOT("Rank", Table1[[#Headers],[Name]:[Score]], Table1[Col\']x])',
    '=LLM.PROMPT("Rank", Table1[[#Headers],[Name]:[Score]], Table1[Col\']x])',
  ],
  ['=COPILOT("Sum up", A2#)', '=LLM.PROMPT("Sum up", A2#)'],
  [
    '=COPILOT("Pick one of", {"Bug";"Feature";"Question"}, {1,2;3,4})',
    '=LLM.PROMPT("Pick one of", {"Bug";"Feature";"Question"}, {1,2;3,4})',
  ],
  // Legacy array formulas, implicit intersection, line breaks, mixed case, Excel's prefixes.
  ['{=COPILOT("x", A1:A3)}', '{=LLM.PROMPT("x", A1:A3)}'],
  ["=@COPILOT(A1) + 1", "=@LLM.PROMPT(A1) + 1"],
  ['=CoPiLoT("x",\n  A1)', '=LLM.PROMPT("x",\n  A1)'],
  ['=_xlfn.COPILOT("x", A1)', '=LLM.PROMPT("x", A1)'],
  ["=SUM(A1:A3 B2:B4)+LEN(copilot(A1))", "=SUM(A1:A3 B2:B4)+LEN(LLM.PROMPT(A1))"],
  // Semicolon separators (formulasLocal in many locales), decimal commas.
  [
    '=WENNFEHLER(COPILOT("Fasse zusammen";A1:B4);"")',
    '=WENNFEHLER(LLM.PROMPT("Fasse zusammen";A1:B4);"")',
  ],
  ['=PROMPT(A1:B2;"Extract";0,7)', '=LLM.PROMPT(A1:B2;"Extract";"options: temperature=0.7")'],
  // Cellm: spill shapes, the model first, the trailing temperature of its earlier versions.
  [
    '=PROMPT("Extract named entities", A1:B2, C3:D4)',
    '=LLM.PROMPT("Extract named entities", A1:B2, C3:D4)',
  ],
  ['=PROMPT.TOROW("The quarters of", A1)', '=LLM.PROMPT.TOROW("The quarters of", A1)'],
  [
    '=prompt.tocolumn("Action items in", B2:B40)',
    '=LLM.PROMPT.TOCOLUMN("Action items in", B2:B40)',
  ],
  [
    '=PROMPT(A1:B2, "Extract named entities", 0.7)',
    '=LLM.PROMPT(A1:B2, "Extract named entities", "options: temperature=0.7")',
  ],
  [
    '=PROMPTMODEL("openai/gpt-4o-mini", "Extract", A1:B2)',
    '=LLM.PROMPT("Extract", A1:B2, "options: model=openai/gpt-4o-mini")',
  ],
  [
    '=PROMPTMODEL.TOROW("openai/gpt-4o-mini", "List", A1)',
    '=LLM.PROMPT.TOROW("List", A1, "options: model=openai/gpt-4o-mini")',
  ],
  [
    '=PROMPTWITH($Z$1, A1:B2, "Extract", 0)',
    '=LLM.PROMPT(A1:B2, "Extract", "options: model=" & $Z$1 & "; temperature=0")',
  ],
  // Excel Labs: positional settings become one options text.
  [
    '=LABS.GENERATIVEAI("Write a haiku", 0.5, 100, "openai/gpt-4o-mini")',
    '=LLM.PROMPT("Write a haiku", "options: temperature=0.5; maxTokens=100; model=openai/gpt-4o-mini")',
  ],
  ['=LABS.GENERATIVEAI(A2&" in French")', '=LLM.PROMPT(A2&" in French")'],
  // No spaces after the separators: none added.
  [
    '=LABS.GENERATIVEAI(A2,,,"openai/gpt-4o-mini")',
    '=LLM.PROMPT(A2,"options: model=openai/gpt-4o-mini")',
  ],
  ["=_xldudf_LABS_GENERATIVEAI(A2, 0)", '=LLM.PROMPT(A2, "options: temperature=0")'],
  // All three in one formula.
  [
    '=COPILOT("a")&PROMPT("b")&LABS.GENERATIVEAI("c")',
    '=LLM.PROMPT("a")&LLM.PROMPT("b")&LLM.PROMPT("c")',
  ],
];

/** The backend's models: OpenRouter's ids name their maker, the OpenAI provider's do not. */
const MODELS = [
  { id: "openai/gpt-4o-mini", provider: "openrouter" },
  { id: "gpt-4.1", provider: "openai" },
];

describe("rewriting formulas to LLM.*", () => {
  it.each(EXACT)("%s", (before, after) => {
    const rewrite = rewriteFormula(before, { models: MODELS });
    expect(rewrite).toMatchObject({ before, after, exact: true, reasons: [] });
    // What it writes reads back, and needs no second migration.
    expect(rewriteFormula(after).sources).toEqual([]);
  });

  it("maps Cellm's provider/model to the id the backend gives that provider's model", () => {
    expect(
      rewriteFormula('=PROMPTMODEL("openai/gpt-4.1", "Extract", A1)', { models: MODELS }),
    ).toMatchObject({
      after: '=LLM.PROMPT("Extract", A1, "options: model=gpt-4.1")',
      exact: true,
      reasons: [],
    });
    expect(
      rewriteFormula('=PROMPTMODEL.TOROW("OpenAI/gpt-4.1", "List", A1)', { models: MODELS }).after,
    ).toBe('=LLM.PROMPT.TOROW("List", A1, "options: model=gpt-4.1")');
    // The same name from another provider is another model.
    const other = rewriteFormula('=PROMPTMODEL("azure/gpt-4.1", "Hi")', { models: MODELS });
    expect(other).toMatchObject({
      after: '=LLM.PROMPT("Hi", "options: model=azure/gpt-4.1")',
      exact: false,
    });
    expect(other.reasons.join()).toMatch(/does not offer the model "azure\/gpt-4.1"/);
  });

  it("names the functions it met, each once", () => {
    expect(rewriteFormula('=COPILOT(COPILOT("a"))&PROMPT.TOROW("b")').sources).toEqual([
      "COPILOT",
      "PROMPT.TOROW",
    ]);
  });

  it("leaves formulas without a source call alone, strings and names that only look like one included", () => {
    for (const formula of [
      "=SUM(A1:A3)",
      '="COPILOT(A1)"',
      "=PROMPT_RANGE*2",
      "=LLM.PROMPT(A1)",
      '=PROMPTS("x")',
    ]) {
      expect(rewriteFormula(formula)).toEqual({
        before: formula,
        sources: [],
        exact: true,
        reasons: [],
      });
    }
  });

  it("lists what cannot be mapped exactly, with the reason, and proposes the nearest formula", () => {
    const cases: [string, string | undefined, RegExp][] = [
      ["=COPILOT()", undefined, /COPILOT: no prompt to move/],
      [
        '=COPILOT("Explain", "options: fast")',
        '=LLM.PROMPT("Explain", "options: fast")',
        /starts with "options:"/,
      ],
      [
        '=PROMPT.TORANGE("Planets and moons")',
        '=LLM.TABLE("Planets and moons")',
        /TORANGE let the model choose the shape/,
      ],
      [
        '=PROMPTMODEL("acme/unknown-1", "Hi")',
        '=LLM.PROMPT("Hi", "options: model=acme/unknown-1")',
        /does not offer the model "acme\/unknown-1"/,
      ],
      [
        '=PROMPT("Hi", A1, 5)',
        '=LLM.PROMPT("Hi", A1, "options: temperature=5")',
        /5 is not a valid temperature/,
      ],
      [
        "=LABS.GENERATIVEAI(A2, B1)",
        '=LLM.PROMPT(A2, "options: temperature=" & B1)',
        /temperature .* is computed \(B1\)/,
      ],
      [
        '=LABS.GENERATIVEAI(A2, 0.2, 10, "m", "extra")',
        undefined,
        /more arguments than LABS.GENERATIVEAI takes/,
      ],
      ['=PROMPTMODEL("openai/gpt-4o-mini")', undefined, /no model and prompt to move/],
    ];
    for (const [before, after, reason] of cases) {
      const rewrite = rewriteFormula(before, { models: MODELS });
      expect(rewrite.after, before).toBe(after);
      expect(rewrite.exact, before).toBe(false);
      expect(rewrite.reasons.join("\n"), before).toMatch(reason);
    }
  });

  it("keeps an options-like last text as prompt text when options follow it", () => {
    expect(rewriteFormula('=PROMPT("Explain", "options: fast", 0.3)')).toMatchObject({
      after: '=LLM.PROMPT("Explain", "options: fast", "options: temperature=0.3")',
      exact: true,
    });
  });

  it("converts what it can inside a call it cannot convert", () => {
    const rewrite = rewriteFormula('=LABS.GENERATIVEAI(COPILOT("a"), 1, 2, 3, 4)');
    expect(rewrite.after).toBe('=LABS.GENERATIVEAI(LLM.PROMPT("a"), 1, 2, 3, 4)');
    expect(rewrite.exact).toBe(false);
  });

  it("says so when a formula cannot be read, and changes nothing", () => {
    const rewrite = rewriteFormula('=COPILOT("unclosed", A1');
    expect(rewrite.after).toBeUndefined();
    expect(rewrite.reasons[0]).toMatch(/could not be read/);
  });

  it("tells the list separator and the source functions apart", () => {
    expect(detectSeparator('=COPILOT("a;b", A1, {1;2})')).toBe(",");
    expect(detectSeparator('=COPILOT("a,b"; A1; {1.2;3.4})')).toBe(";");
    expect(identify("'C:\\Add-ins\\Cellm.xll'!PROMPT")?.to).toBe("LLM.PROMPT");
    expect(identify("_xludf.PROMPTMODEL.TOCOLUMN")).toMatchObject({
      to: "LLM.PROMPT.TOCOLUMN",
      modelFirst: true,
    });
    expect(identify("PROMPTWITH.TOROW")).toBeUndefined();
    expect(mayCallSource("=SUM(A1)")).toBe(false);
    expect(mayCallSource(42)).toBe(false);
    expect(mayCallSource("{=copilot(A1)}")).toBe(true);
  });

  it("places every call and argument on the formula's own text", () => {
    const text = '=IF(A1>0, COPILOT( "a, b" , Sheet1!B2 ), "")';
    const parsed = parseFormula(text);
    const copilot = parsed.calls.find((call) => call.name === "COPILOT")!;
    expect(text.slice(copilot.start, copilot.end)).toBe('COPILOT( "a, b" , Sheet1!B2 )');
    expect(copilot.args.map((arg) => text.slice(arg.start, arg.end))).toEqual([
      ' "a, b" ',
      " Sheet1!B2 ",
    ]);
  });
});

describe("rewriting, on generated formulas", () => {
  /** A formula and what it becomes: each COPILOT( is LLM.PROMPT(, nothing else changes. */
  type Pair = [string, string];
  const same = (text: string): Pair => [text, text];
  const quoted = fc
    .string({ maxLength: 12 })
    .filter((text) => !/^\s*options\s*:/i.test(text))
    .map((text) => same(`"${text.replace(/"/g, '""')}"`));
  const reference = fc
    .constantFrom(
      "A1",
      "$B$2:C9",
      "'My Sheet'!A1",
      "'Bob''s (data), 2024'!B2:B3",
      "Table1[Review]",
      "Table1[[#This Row],[Col, x]]",
      "Sales[@[Unit Price]]",
      "A2#",
      "[Book1.xlsx]Plan!C3",
      "{1,2;3,4}",
      '{"a, b";"c"}',
      "TRUE",
      "#N/A",
    )
    .map(same);
  const number = fc.double({ min: 0, max: 1e6, noNaN: true }).map((n) => same(String(n)));
  const { expression } = fc.letrec<{ expression: Pair; call: Pair }>((tie) => ({
    expression: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      quoted,
      reference,
      number,
      tie("call"),
      fc
        .tuple(tie("expression"), fc.constantFrom("&", " & ", "+", "*"), tie("expression"))
        .map(([a, op, b]): Pair => [`${a[0]}${op}${b[0]}`, `${a[1]}${op}${b[1]}`]),
    ),
    call: fc
      .tuple(
        fc.constantFrom("COPILOT", "copilot", "_xlfn.COPILOT", "IFERROR", "SUM", "LEN"),
        fc.array(tie("expression"), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(",", ", ", " , "),
      )
      .map(([name, args, separator]): Pair => {
        const to = /copilot/i.test(name) ? "LLM.PROMPT" : name;
        return [
          `${name}(${args.map((a) => a[0]).join(separator)})`,
          `${to}(${args.map((a) => a[1]).join(separator)})`,
        ];
      }),
  }));

  it("changes only the calls, and what it writes reads back", () => {
    fc.assert(
      fc.property(expression, ([before, after]) => {
        const rewrite = rewriteFormula(`=${before}`);
        if (before === after) {
          expect(rewrite.sources).toEqual([]);
        } else {
          expect(rewrite).toMatchObject({ after: `=${after}`, exact: true });
          expect(rewriteFormula(`=${after}`).sources).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
