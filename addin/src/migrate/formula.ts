import { tokenize, type Token } from "excel-formula-tokenizer";

/**
 * An Excel formula read with excel-formula-tokenizer, each token placed back on the formula's
 * text, and its function calls with their argument spans, so that a call can be rewritten while
 * every other character of the formula stays as the user wrote it.
 *
 * The tokenizer drops what it does not need (spaces, "@", a leading "+", the quotes of strings)
 * and misreads two shapes: structured references with nested brackets
 * (`Table1[[#This Row],[Review]]`, split at the comma) and spilled-range references (`A1#`,
 * read as an unfinished error). Both are masked before tokenizing with characters of the same
 * length, so the tokens' places in the masked text are their places in the formula.
 */

/** The list separator between arguments: "," (en-US, and what Office.js reports) or ";". */
export type Separator = "," | ";";

/** A part of the formula's text, [start, end). */
export interface Span {
  start: number;
  end: number;
}

export interface PlacedToken extends Token, Span {}

export interface Call extends Span {
  /** The function's name as written (`COPILOT`, `_xlfn.COPILOT`, `prompt.torow`). */
  name: string;
  /** Each argument's text, separators and the parentheses excluded (an empty argument is empty). */
  args: Span[];
}

export interface ParsedFormula {
  text: string;
  separator: Separator;
  tokens: PlacedToken[];
  /** Every function call, in the order they open (outer before inner). */
  calls: Call[];
}

export class FormulaSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FormulaSyntaxError";
  }
}

/**
 * Walks a formula's text outside strings and quoted sheet names, telling `visit` each character
 * with its bracket depth (structured references, external workbook names).
 */
function scan(text: string, visit: (index: number, depth: number) => void): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (depth === 0 && (ch === '"' || ch === "'")) {
      // A string or a quoted sheet name; a doubled quote is an escaped one.
      for (i++; i < text.length; i++) {
        if (text[i] === ch && text[i + 1] === ch) i++;
        else if (text[i] === ch) break;
      }
      continue;
    }
    if (ch === "[") depth++;
    visit(i, depth);
    if (depth > 0 && ch === "'" && i + 1 < text.length) {
      i++; // ' escapes the next character inside a structured reference
      visit(i, depth);
    }
    if (ch === "]" && depth > 0) depth--;
  }
}

/** The separator a formula uses: ";" when one separates arguments outside an array constant. */
export function detectSeparator(text: string): Separator {
  let braces = 0;
  let parens = 0;
  let found: Separator = ",";
  scan(text, (i, depth) => {
    if (depth > 0) return;
    const ch = text[i];
    if (ch === "{") braces++;
    else if (ch === "}") braces--;
    else if (ch === "(") parens++;
    else if (ch === ")") parens--;
    else if (ch === ";" && braces === 0 && parens > 0) found = ";";
  });
  return found;
}

/**
 * The formula with bracket contents and spill markers (`A1#`) replaced, same length. With ";"
 * separators the tokenizer (de-DE) takes "." for an array's column separator everywhere, which
 * would cut `LLM.PROMPT` in two, so points are replaced too (numbers there use decimal commas).
 */
function mask(text: string, separator: Separator): string {
  const out = text.split("");
  scan(text, (i, depth) => {
    const ch = text[i]!;
    if (separator === ";" && depth === 0 && ch === ".") out[i] = "_";
    if (depth > 1 || (depth === 1 && ch !== "[")) {
      if (!(ch === "]" && depth === 1)) out[i] = "_";
      return;
    }
    if (ch === "#" && i > 0 && /[A-Za-z0-9_$\]]/.test(text[i - 1]!)) out[i] = "_";
  });
  return out.join("");
}

const SKIPPABLE = /[\s@+]/;

/** Places each token on the text; throws when the tokens and the text disagree. */
function place(text: string, masked: string, tokens: Token[], start: number): PlacedToken[] {
  let at = start;
  const placed: PlacedToken[] = [];
  const fail = (token: Token): never => {
    throw new FormulaSyntaxError(
      `could not read the formula near "${text.slice(at, at + 20)}" (${token.type} ${token.value})`,
    );
  };
  const expect = (token: Token, literal: string) => {
    if (masked.slice(at, at + literal.length).toLowerCase() !== literal.toLowerCase()) fail(token);
    at += literal.length;
  };
  for (const token of tokens) {
    if (token.type === "unknown") fail(token);
    const intersect = token.type === "operator-infix" && token.subtype === "intersect";
    const literalPlus = token.value === "+" && token.type !== "operand";
    while (at < text.length && SKIPPABLE.test(masked[at]!)) {
      if (masked[at] === "+" && literalPlus) break;
      if (intersect && masked[at] === " ") break;
      at++;
    }
    const begin = at;
    if (token.type === "function" && token.value === "ARRAYROW") {
      // Row markers of an array constant take no text.
    } else if (token.type === "function" && token.value === "ARRAY") {
      expect(token, token.subtype === "start" ? "{" : "}");
    } else if (token.type === "function" || token.type === "subexpression") {
      if (token.subtype === "start") expect(token, `${token.value}(`);
      else expect(token, ")");
    } else if (token.type === "argument") {
      if (!/[,;.\\]/.test(masked[at] ?? "")) fail(token);
      at += 1; // "," or ";" (or an array's column separator)
    } else if (token.type === "operand" && token.subtype === "text") {
      if (masked[at] !== '"') fail(token);
      for (at++; at < text.length; at++) {
        if (text[at] === '"' && text[at + 1] === '"') at++;
        else if (text[at] === '"') break;
      }
      if (text[at] !== '"') fail(token);
      at++;
    } else if (intersect) {
      while (masked[at] === " ") at++;
    } else if (masked[at] === "'") {
      // A quoted sheet name: the tokenizer gives its doubled quotes single.
      let end = at + 1;
      for (; end < text.length; end++) {
        if (text[end] === "'" && text[end + 1] === "'") end++;
        else if (text[end] === "'") break;
      }
      const quoted = text
        .slice(at, end + 1)
        .replace(/''/g, "'")
        .slice(0, -1);
      if (!token.value.startsWith(`${quoted}'`)) fail(token);
      at = end;
      expect(token, token.value.slice(quoted.length));
    } else {
      expect(token, token.value);
    }
    placed.push({ ...token, start: begin, end: at });
  }
  if (text.slice(at).trim() !== "") {
    throw new FormulaSyntaxError(`could not read the formula after "${text.slice(0, at)}"`);
  }
  return placed;
}

interface CallFrame {
  call: Call;
  argStart: number;
  /** Whether anything stands between the parentheses (so `F()` has no argument, `F( )` one). */
  filled: boolean;
}

function collectCalls(text: string, tokens: PlacedToken[]): Call[] {
  const calls: Call[] = [];
  // Calls, and null for a parenthesised group or an array constant (their separators are theirs).
  const stack: (CallFrame | null)[] = [];
  for (const token of tokens) {
    const top = stack.at(-1);
    const isCall =
      token.type === "function" && token.value !== "ARRAY" && token.value !== "ARRAYROW";
    const opens = token.subtype === "start";
    if (isCall && !opens) {
      if (!top) throw new FormulaSyntaxError("unbalanced parentheses");
      if (top.filled || top.call.args.length > 0)
        top.call.args.push({ start: top.argStart, end: token.start });
      top.call.end = token.end;
      stack.pop();
      continue;
    }
    if (top) top.filled = true;
    if (isCall) {
      // The name as written (the token's may be masked).
      const name = text.slice(token.start, token.end - 1);
      const call: Call = { name, start: token.start, end: token.end, args: [] };
      calls.push(call);
      stack.push({ call, argStart: token.end, filled: false });
    } else if (token.type === "function" || token.type === "subexpression") {
      if (opens) stack.push(null);
      else if (stack.pop() !== null) throw new FormulaSyntaxError("unbalanced parentheses");
    } else if (token.type === "argument" && top) {
      top.call.args.push({ start: top.argStart, end: token.start });
      top.argStart = token.end;
    }
  }
  if (stack.length > 0) throw new FormulaSyntaxError("unbalanced parentheses");
  return calls;
}

/** Reads a formula (`=…`); throws FormulaSyntaxError when it cannot. */
export function parseFormula(
  text: string,
  separator: Separator = detectSeparator(text),
): ParsedFormula {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== "=") throw new FormulaSyntaxError("not a formula");
  const masked = mask(text, separator);
  const tokens = tokenize(masked, {
    language: separator === ";" ? "de-DE" : "en-US",
    preserveLanguage: true,
  });
  const placed = place(text, masked, tokens, start + 1);
  return { text, separator, tokens: placed, calls: collectCalls(text, placed) };
}

/** The tokens inside a span. */
export function tokensIn(parsed: ParsedFormula, span: Span): PlacedToken[] {
  return parsed.tokens.filter((token) => token.start >= span.start && token.end <= span.end);
}
