import { describe, expect, it } from "vitest";
import { MAX_CELL_CHARS } from "../shared/cell.ts";
import { asConstant, asFrozen } from "./run.ts";

describe("asConstant", () => {
  it("writes text as text, with the leading apostrophe Excel keeps as a marker", () => {
    for (const text of ["=SUM(A1:A3)", "- a list line", "+1 555 0100", "3/4", "1-2", "50%"])
      expect(asConstant(text), text).toBe(`'${text}`);
    for (const text of ["TRUE", "007", "1.50", "+7", "Paris", "123456789012345.5"])
      expect(asConstant(text), text).toBe(`'${text}`);
  });

  it("writes numbers Excel keeps exactly to become numbers, and leaves other values alone", () => {
    for (const text of ["42", "-12.5", "1e-7", "123456789012345"])
      expect(asConstant(text), text).toBe(text);
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

describe("asFrozen", () => {
  it("writes a cell's value back unchanged: text as text, numbers, booleans and errors as such", () => {
    expect(asFrozen("42")).toBe("'42");
    expect(asFrozen("1.50")).toBe("'1.50");
    expect(asFrozen("2024-01-05")).toBe("'2024-01-05");
    expect(asFrozen(3)).toBe(3);
    expect(asFrozen(false)).toBe(false);
    expect(asFrozen("#N/A")).toBe("#N/A");
    expect(asFrozen("")).toBe("");
  });
});
