import { describe, expect, it } from "vitest";
import { asConstant, MAX_CELL_TEXT } from "./run.ts";

describe("asConstant", () => {
  it("keeps text Excel would read as a formula as text, with a leading apostrophe", () => {
    expect(asConstant("=SUM(A1:A3)")).toBe("'=SUM(A1:A3)");
    expect(asConstant("- a list line")).toBe("'- a list line");
    expect(asConstant("+1 555 0100")).toBe("'+1 555 0100");
  });

  it("leaves plain numbers, other text and other values as they are", () => {
    expect(asConstant("-12.5")).toBe("-12.5");
    expect(asConstant("+3e2")).toBe("+3e2");
    expect(asConstant("a - b")).toBe("a - b");
    expect(asConstant(-4)).toBe(-4);
    expect(asConstant(true)).toBe(true);
  });

  it("cuts text to what a cell holds, ending with an ellipsis", () => {
    const cut = asConstant("x".repeat(MAX_CELL_TEXT + 10));
    expect(cut).toHaveLength(MAX_CELL_TEXT);
    expect(cut.endsWith("…")).toBe(true);
  });
});
