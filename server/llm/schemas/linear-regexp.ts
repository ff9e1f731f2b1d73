import type { CodeOptions } from "ajv";
import { RE2JS } from "re2js";

type RegExpEngine = NonNullable<CodeOptions["regExp"]>;

/**
 * The regular expressions of a caller's JSON Schema (`pattern`, `patternProperties`) run on
 * RE2JS: its matching time grows linearly with the text, so no pattern can make a check
 * backtrack for minutes. A pattern must be valid ECMA-262 (what JSON Schema specifies) and within
 * RE2's syntax, which has no lookaround and no backreferences. Its character classes keep RE2's
 * meaning (`\s` is ASCII whitespace).
 */

/** A pattern the engine cannot run; the message names the pattern and why. */
export class UnsupportedPattern extends Error {
  readonly pattern: string;
  constructor(pattern: string, reason: string) {
    super(`pattern ${JSON.stringify(pattern)} cannot be used: ${reason}`);
    this.name = "UnsupportedPattern";
    this.pattern = pattern;
  }
}

function compileLinear(pattern: string, flags: string): ReturnType<RegExpEngine> {
  try {
    // Only parses: V8 checks the syntax here and compiles on first use, which never comes.
    new RegExp(pattern, flags);
  } catch (error) {
    throw new UnsupportedPattern(pattern, (error as Error).message);
  }
  try {
    return RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    throw new UnsupportedPattern(pattern, `RE2 ${(error as Error).message}`);
  }
}

/** ajv's `code.regExp` engine; `code` would name it in standalone code, which is never made. */
export const linearRegExp: RegExpEngine = Object.assign(compileLinear, { code: "linearRegExp" });

/**
 * An upper bound of the instructions RE2 compiles a pattern to, read from its text alone, so a
 * pattern whose repetitions expand to millions of instructions (`(\w{1,1000})` a few hundred
 * times compiles for seconds into hundreds of megabytes) is refused before it is compiled.
 * Follows RE2's own size estimate: a literal, a class or nothing counts 1, a group adds 2 (the
 * whole pattern is one), `*` 2, `+` and `?` 1, `|` 2, and `{n,m}` multiplies its operand by m
 * (or n) and adds m - n.
 */
export function regexpSize(pattern: string): number {
  /** Per open group: the size so far, and the size of its last atom (what a quantifier repeats). */
  const frames = [{ total: 0, last: 0 }];
  let frame = frames[0]!;
  const atom = (size: number) => {
    frame.total += size;
    frame.last = size;
  };
  const repeat = (size: number) => {
    frame.total += size - frame.last;
    frame.last = size;
  };
  let bounds: ReturnType<typeof quantifierAt>;
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at]!;
    if (char === "\\") {
      at++;
      // \u{…}, \x{…}, \p{…}, \P{…} are one atom.
      if (pattern[at + 1] === "{" && /[uxpP]/.test(pattern[at] ?? "")) {
        at = Math.max(pattern.indexOf("}", at), at);
      }
      atom(1);
    } else if (char === "[") {
      for (at++; at < pattern.length && pattern[at] !== "]"; at++) if (pattern[at] === "\\") at++;
      atom(1);
    } else if (char === "(") {
      if (pattern[at + 1] === "?") at = groupPrefixEnd(pattern, at + 1);
      frame = { total: 0, last: 0 };
      frames.push(frame);
    } else if (char === ")" && frames.length > 1) {
      const size = Math.max(frames.pop()!.total, 1) + 2;
      frame = frames.at(-1)!;
      atom(size);
    } else if (char === "|") {
      // The choice, and the branch it opens, which counts 1 even when empty.
      frame.total += 2;
      frame.last = 0;
    } else if (char === "*") {
      repeat(frame.last + 2);
    } else if (char === "+" || char === "?") {
      repeat(frame.last + 1);
    } else if (char === "{" && (bounds = quantifierAt(pattern, at))) {
      const { min, max } = bounds;
      repeat(
        max === undefined
          ? min === 0
            ? frame.last + 2
            : 1 + min * frame.last
          : Math.max(max, 1) * frame.last + Math.max(max - min, 0),
      );
      at = bounds.end;
    } else {
      atom(1);
    }
  }
  // The whole pattern is a group too (RE2's group 0). An unclosed group (the pattern is invalid
  // and refused anyway) still counts.
  return (
    Math.max(
      frames.reduce((sum, open) => sum + open.total, 0),
      1,
    ) + 2
  );
}

/** The counted repetition `{n}`, `{n,}` or `{n,m}` at `at`, and where it ends. */
function quantifierAt(
  pattern: string,
  at: number,
): { min: number; max: number | undefined; end: number } | undefined {
  const quantifier = /\{(\d+)(,(\d*))?\}/y;
  quantifier.lastIndex = at;
  const match = quantifier.exec(pattern);
  if (!match) return undefined;
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : match[3] ? Number(match[3]) : undefined;
  return { min, max, end: quantifier.lastIndex - 1 };
}

/** Where a group's `?…` prefix ends: `?:`, `?=`, `?!`, `?<=`, `?<!`, `?<name>`, `?i:`. */
function groupPrefixEnd(pattern: string, question: number): number {
  const next = pattern[question + 1];
  if (next === "<" && pattern[question + 2] !== "=" && pattern[question + 2] !== "!") {
    const close = pattern.indexOf(">", question);
    return close === -1 ? question : close;
  }
  if (next === "<") return question + 2;
  const colon = /^[a-z-]*:/i.exec(pattern.slice(question + 1, question + 12));
  return colon ? question + colon[0].length : question + 1;
}
