import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "./json-depth.ts";

/** `[` × depth, then `]` × depth, parsed. */
const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));

describe("nestsDeeperThan", () => {
  it("counts each object and array as one level; scalars add none", () => {
    expect(nestsDeeperThan("text", 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
    expect(nestsDeeperThan([], 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: "x" }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: {} }] }, 3)).toBe(true);
  });

  it("finds the one deep branch among shallow ones", () => {
    const body = { wide: Array.from({ length: 1000 }, () => ({})), deep: nested(10) };
    expect(nestsDeeperThan(body, 11)).toBe(false);
    expect(nestsDeeperThan(body, 10)).toBe(true);
  });

  it("answers for 100,000 levels instead of overflowing the stack", () => {
    const deep = nested(100_000);
    expect(nestsDeeperThan(deep, 64)).toBe(true);
    expect(nestsDeeperThan(deep, 100_000)).toBe(false);
  });
});
