import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { linearRegExp, regexpSize, UnsupportedPattern } from "./linear-regexp.ts";

const compile = (pattern: string) => linearRegExp(pattern, "u");

describe("linearRegExp, ajv's engine for callers' patterns", () => {
  it.each([
    ["^[a-z]+$", ["demo"], ["Demo", "de mo"]],
    ["\\d{3}-\\d{4}", ["call 555-0100"], ["555-010"]],
    ["^\\p{L}+$", ["Zoë", "東京"], ["x1"]],
    ["\\u00e9|\\u{1F600}", ["café", "😀"], ["cafe"]],
    ["^(?<year>\\d{4})-\\d{2}$", ["2026-01"], ["26-01"]],
    ["^[^]$", ["x", "\n"], ["xy"]],
    ["colou?r", ["the color"], ["colr"]],
  ])("finds %s where JavaScript does, unanchored as JSON Schema says", (pattern, hits, misses) => {
    const regexp = compile(pattern);
    for (const text of hits) expect(regexp.test(text), text).toBe(true);
    for (const text of misses) expect(regexp.test(text), text).toBe(false);
  });

  it("checks a pattern that backtracks catastrophically in time linear in the text", () => {
    // A backtracking engine would not finish this in the lifetime of the test run.
    expect(compile("(o+)+x").test("o".repeat(100_000))).toBe(false);
    expect(compile("^(a|aa)+$").test(`${"a".repeat(100_000)}b`)).toBe(false);
  });

  it.each([
    ["a lookahead", "x(?=y)", /RE2 .*unsupported Perl syntax/],
    ["a negative lookbehind", "(?<!a)b", /RE2/],
    ["a backreference", "(a)\\1", /RE2 .*invalid escape/],
    ["a nested repetition over RE2's limit", "(a{1000}){1000}", /RE2 .*repeat count/],
    ["invalid JavaScript", "[a-", /Invalid regular expression/],
    ["JavaScript that RE2 would read differently", "\\k<name>", /Invalid regular expression/],
  ])("refuses %s, naming the pattern", (_what, pattern, reason) => {
    let error: unknown;
    try {
      compile(pattern);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedPattern);
    expect((error as UnsupportedPattern).message).toContain(`pattern ${JSON.stringify(pattern)}`);
    expect((error as UnsupportedPattern).message).toMatch(reason);
  });
});

describe("regexpSize", () => {
  it.each([
    ["abc", 5],
    ["\\w{1,1000}", 2001],
    ["(\\w{1,1000})(\\w{1,1000})", 2 * 2001 + 2],
    ["(?:ab){2,5}", 25],
  ])("estimates %s at %i", (pattern, size) => {
    expect(regexpSize(pattern)).toBe(size);
  });

  /** Patterns of RE2's syntax: atoms, groups, alternatives and every kind of repetition. */
  const patterns = fc.letrec<{ atom: string; group: string; piece: string; pattern: string }>(
    (tie) => ({
      atom: fc.oneof(
        fc.constantFrom("a", ".", "\\d", "\\w", "[a-z]", "[^\\]x]", "\\p{L}", "\\u{1F600}", "😀"),
        fc.constantFrom("é", "^", "$", "\\b", "[]", "[^]", "\\u0041", "\\x41", "\\{", "\\\\"),
        tie("group"),
      ),
      group: fc
        .tuple(fc.constantFrom("(", "(?:", "(?<n>"), tie("pattern"), fc.constant(")"))
        .map((parts) => parts.join("")),
      piece: fc
        .tuple(
          tie("atom"),
          fc.constantFrom("", "*", "+", "?", "*?", "+?", "{3}", "{0,4}", "{2,}", "{0}", "{1,7}"),
        )
        .map(([atom, quantifier]) => atom + quantifier),
      pattern: fc
        .array(fc.oneof(tie("piece"), fc.constant("|")), { maxLength: 6 })
        .map((parts) => parts.join("")),
    }),
  ).pattern;

  it("is never below what RE2 compiles the pattern to", () => {
    fc.assert(
      fc.property(patterns, (pattern) => {
        let program: number;
        try {
          program = RE2JS.compile(RE2JS.translateRegExp(pattern)).programSize();
          new RegExp(pattern, "u");
        } catch {
          return; // Not a pattern both engines take: refused before its size matters.
        }
        expect(regexpSize(pattern)).toBeGreaterThanOrEqual(program);
      }),
      { numRuns: 3000 },
    );
  });
});
