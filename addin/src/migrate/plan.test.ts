import { describe, expect, it } from "vitest";
import type { ModelInfo } from "../taskpane/api.ts";
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

  it("prices each prompt with the model it names, others with the default model", () => {
    const model = (id: string, input: number, output: number) =>
      ({ id, pricePerMillionTokens: { input, output } }) as ModelInfo;
    const pricing = {
      defaultModel: "cheap",
      models: [model("cheap", 1, 1), model("dear", 100, 100)],
    };
    const estimate = (after: string) =>
      estimatePrompts([{ sheet: "S", after }], pricing) as { usd: number; inputTokens: number };
    const plain = estimate('=LLM.PROMPT("Hi")');
    const named = estimate('=LLM.PROMPT("Hi", "options: model=dear")');
    const unknown = estimate('=LLM.PROMPT("Hi", "options: model=other")');
    expect(plain.usd).toBeCloseTo(((plain.inputTokens + 100) * 1) / 1e6);
    expect(named.usd).toBeCloseTo(((named.inputTokens + 100) * 100) / 1e6);
    expect(unknown.usd).toBeCloseTo(((unknown.inputTokens + 100) * 1) / 1e6);
    expect(estimatePrompts([{ sheet: "S", after: '=LLM.PROMPT("Hi")' }], undefined).usd).toBeNull();
  });
});
