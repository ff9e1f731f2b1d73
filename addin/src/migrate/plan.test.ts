import { describe, expect, it } from "vitest";
import { estimatePrompts, promptInputBlocks, valueKey } from "./plan.ts";

describe("the distinct-prompt estimate", () => {
  const converted = [
    '=LLM.PROMPT("Tone of", A1)',
    '=LLM.PROMPT("Tone of", A2)',
    '=LLM.PROMPT("Tone of "&A3)',
    '=LLM.PROMPT("Tone of", Reviews[@Text])',
    "=LLM.PROMPT(UPPER(A1))",
  ].map((after) => ({ sheet: "My data", after }));

  it("reads the cells the calls read, one block per sheet", () => {
    expect(promptInputBlocks(converted)).toEqual([
      { sheet: "My data", firstRow: 1, lastRow: 3, firstColumn: 0, lastColumn: 0 },
    ]);
  });

  it("counts calls that ask the same once, and those it cannot read by their text", () => {
    const inputs = new Map([
      [valueKey("My data", 1, 0), "great"],
      [valueKey("My data", 2, 0), "great"],
      [valueKey("My data", 3, 0), "great"],
    ]);
    // A1 and A2 ask the same; "Tone of "&A3 is another text; the last two cannot be read.
    expect(estimatePrompts(converted, undefined, inputs)).toMatchObject({
      calls: 5,
      distinct: 4,
      unread: 2,
      usd: null,
    });
    expect(estimatePrompts(converted, undefined)).toMatchObject({ distinct: 5, unread: 5 });
  });
});
