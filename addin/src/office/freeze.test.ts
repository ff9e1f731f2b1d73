import { describe, expect, it } from "vitest";
import { isLlmFormula, planFreeze } from "./freeze.ts";

describe("freeze plan", () => {
  it("recognises formulas that call LLM.* anywhere", () => {
    expect(isLlmFormula('=LLM.PROMPT("x")')).toBe(true);
    expect(isLlmFormula('=llm.classify(A1, "a,b")')).toBe(true);
    expect(isLlmFormula('=UPPER(LLM.TRANSLATE(A1,"fr"))')).toBe(true);
    expect(isLlmFormula("=SUM(A1:A3)")).toBe(false);
    expect(isLlmFormula("=MYLLM.PROMPT(A1)")).toBe(false);
    expect(isLlmFormula("LLM.PROMPT(A1)")).toBe(false);
    expect(isLlmFormula(42)).toBe(false);
  });

  it("keeps formulas showing an error or still calculating", () => {
    const plan = planFreeze(
      [
        ["=LLM.PROMPT(1)", "=LLM.PROMPT(2)"],
        ["=LLM.PROMPT(3)", "plain"],
      ],
      [
        ["answer", "#BUSY!"],
        ["#N/A", "plain"],
      ],
      [
        ["String", "String"],
        ["Error", "String"],
      ],
    );
    expect(plan).toEqual({ cells: [{ row: 0, column: 0 }], skipped: 2 });
  });
});
