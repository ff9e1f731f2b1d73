import { describe, expect, it } from "vitest";
import { MAX_CELL_CHARS } from "../shared/cell.ts";
import { asConstant } from "./run.ts";

describe("asConstant", () => {
  it("writes text as text, with the leading apostrophe Excel keeps as a marker", () => {
    for (const text of ["=SUM(A1:A3)", "- a list line", "+1 555 0100", "3/4", "1-2", "50%"])
      expect(asConstant(text), text).toBe(`'${text}`);
    for (const text of ["TRUE", "007", "1e5", "Paris"])
      expect(asConstant(text), text).toBe(`'${text}`);
  });

  it("writes plain numbers to become numbers, and leaves other values and empty text alone", () => {
    expect(asConstant("-12.5")).toBe("-12.5");
    expect(asConstant("42")).toBe("42");
    expect(asConstant("")).toBe("");
    expect(asConstant(-4)).toBe(-4);
    expect(asConstant(true)).toBe(true);
  });

  it("cuts text to what a cell holds, never between the halves of a character", () => {
    const cut = asConstant("x".repeat(MAX_CELL_CHARS + 10));
    expect(cut).toHaveLength(MAX_CELL_CHARS + 1); // and the apostrophe
    expect(cut.endsWith("…")).toBe(true);
    const emoji = asConstant(`${"x".repeat(MAX_CELL_CHARS - 2)}😀😀`);
    expect(emoji.endsWith("x…")).toBe(true);
  });
});
