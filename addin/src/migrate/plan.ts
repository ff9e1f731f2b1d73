import { estimateTokens } from "../../../server/llm/token-estimate.ts";
import { blockRowCount, cellAddress, parseAddress, type CellBlock } from "../office/address.ts";
import type { CellValue } from "../office/types.ts";
import type { FormulaCell } from "../office/formulas.ts";
import { ASSUMED_OUTPUT_TOKENS } from "../taskpane/fill-plan.ts";
import { splitTrailingOptions } from "../functions/options.ts";
import type { ModelsResponse } from "../taskpane/api.ts";
import { parseFormula, tokensIn, type PlacedToken } from "./formula.ts";
import {
  mayCallSource,
  rewriteFormula,
  type RewriteOptions,
  type SourceFunction,
} from "./rewrite.ts";

/**
 * What a migration found in a workbook and what it will change: each formula calling a source
 * function, its rewrite (or why there is none), grouped by sheet and pattern; and how many
 * distinct prompts the converted cells will send, with what that may cost.
 */

export interface Finding {
  /** `Sheet!A1`, unique in a scan. */
  id: string;
  sheet: string;
  row: number;
  column: number;
  before: string;
  /** The proposed formula; undefined when there is none. */
  after?: string;
  /** Applied by "apply all" and "apply sheet" only when exact; otherwise one by one, by choice. */
  exact: boolean;
  /**
   * Whether the pane may write `after`: not for a legacy array formula, which Office.js cannot
   * enter (a "{=…}" written is taken as text); the user re-enters it by hand as shown.
   */
  writable: boolean;
  reasons: string[];
  sources: SourceFunction[];
  /** The cell shows #NAME? (its function is not there any more). */
  nameError: boolean;
}

/**
 * A legacy array formula (Ctrl+Shift+Enter) cannot be rewritten one cell at a time, and
 * Office.js cannot enter one: it is listed for the user to re-enter.
 */
const LEGACY_ARRAY =
  "a legacy array formula ({=…}): re-enter it by hand as shown, with Ctrl+Shift+Enter";

export function findMigrations(
  cells: readonly FormulaCell[],
  options: RewriteOptions = {},
): Finding[] {
  const findings: Finding[] = [];
  for (const cell of cells) {
    if (!mayCallSource(cell.formula)) continue;
    const rewrite = rewriteFormula(cell.formula, options);
    if (rewrite.sources.length === 0 && rewrite.reasons.length === 0) continue;
    const legacyArray = /^\s*\{/.test(cell.formula);
    findings.push({
      id: cellAddress(cell.sheet, cell.column, cell.row),
      sheet: cell.sheet,
      row: cell.row,
      column: cell.column,
      before: cell.formula,
      ...(rewrite.after !== undefined ? { after: rewrite.after } : {}),
      exact: rewrite.exact && !legacyArray,
      writable: rewrite.after !== undefined && !legacyArray,
      reasons: legacyArray ? [...rewrite.reasons, LEGACY_ARRAY] : rewrite.reasons,
      sources: rewrite.sources,
      nameError: cell.value === "#NAME?",
    });
  }
  return findings;
}

/** Whether "apply all" (or a sheet's) writes this finding. */
export function appliesInBulk(finding: Finding): boolean {
  return finding.exact && finding.writable;
}

export interface SheetGroup {
  sheet: string;
  formulas: number;
  /** How many formulas call each source function. */
  patterns: { source: SourceFunction; count: number }[];
  nameErrors: number;
  /** Convertible exactly (in bulk). */
  exact: number;
  findings: Finding[];
}

/** The findings by sheet (in workbook order) and, within a sheet, counted by function. */
export function groupBySheet(findings: readonly Finding[]): SheetGroup[] {
  const groups = new Map<string, SheetGroup>();
  for (const finding of findings) {
    let group = groups.get(finding.sheet);
    if (!group) {
      group = {
        sheet: finding.sheet,
        formulas: 0,
        patterns: [],
        nameErrors: 0,
        exact: 0,
        findings: [],
      };
      groups.set(finding.sheet, group);
    }
    group.formulas++;
    group.findings.push(finding);
    if (finding.nameError) group.nameErrors++;
    if (appliesInBulk(finding)) group.exact++;
    for (const source of finding.sources) {
      const pattern = group.patterns.find((p) => p.source === source);
      if (pattern) pattern.count++;
      else group.patterns.push({ source, count: 1 });
    }
  }
  for (const group of groups.values()) group.patterns.sort((a, b) => b.count - a.count);
  return [...groups.values()];
}

export interface PromptEstimate {
  /** LLM.* calls in the converted formulas. */
  calls: number;
  /**
   * Distinct prompts: calls that ask the same (the same function on the same values) are asked
   * once, by the functions' batching and cache. A call whose inputs could not be read counts by
   * its text, so with `unread` above 0 this is an upper bound.
   */
  distinct: number;
  /** Calls whose inputs the estimate could not read (computed, structured or far references). */
  unread: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when the model's price is unknown. */
  usd: number | null;
}

/** The values of the cells the converted calls read, by `valueKey`. */
export type PromptInputs = ReadonlyMap<string, CellValue>;

export const valueKey = (sheet: string, row: number, column: number) =>
  `${sheet}\u0000${row}\u0000${column}`;

/** Cells the estimate reads at most, over the whole workbook; beyond, calls count by text. */
export const ESTIMATE_MAX_CELLS = 50_000;

type Converted = Pick<Finding, "sheet" | "after">;

function llmCalls(finding: Converted) {
  const parsed = parseFormula(finding.after!.replace(/^\s*\{([\s\S]*)\}\s*$/, "$1"));
  return {
    parsed,
    calls: parsed.calls.filter((call) => /^LLM\./i.test(call.name)),
  };
}

/** A reference the estimate can read: `A2`, `$A$2:B9`, `'Q1 Sales'!A2` (not names or tables). */
function referenceBlock(token: PlacedToken, sheet: string): CellBlock | null {
  if (token.type !== "operand" || token.subtype !== "range" || token.value.includes("["))
    return null;
  return parseAddress(token.value, sheet);
}

/**
 * The blocks of cells the converted calls read directly, one per sheet (the rows and columns
 * they span), up to ESTIMATE_MAX_CELLS cells in all.
 */
export function promptInputBlocks(findings: readonly Converted[]): CellBlock[] {
  const bounds = new Map<string, CellBlock>();
  for (const finding of findings) {
    if (finding.after === undefined) continue;
    const { parsed, calls } = llmCalls(finding);
    for (const call of calls) {
      for (const token of tokensIn(parsed, call)) {
        const block = referenceBlock(token, finding.sheet);
        if (!block) continue;
        const known = bounds.get(block.sheet);
        bounds.set(
          block.sheet,
          known
            ? {
                sheet: block.sheet,
                firstRow: Math.min(known.firstRow, block.firstRow),
                lastRow: Math.max(known.lastRow, block.lastRow),
                firstColumn: Math.min(known.firstColumn, block.firstColumn),
                lastColumn: Math.max(known.lastColumn, block.lastColumn),
              }
            : block,
        );
      }
    }
  }
  let cells = 0;
  return [...bounds.values()].filter((block) => {
    cells += blockRowCount(block) * (block.lastColumn - block.firstColumn + 1);
    return cells <= ESTIMATE_MAX_CELLS;
  });
}

/**
 * An argument's value as the function will receive it, when it is literal text or a number,
 * read cells, or these joined with &; undefined otherwise.
 */
function argumentValue(
  parsed: ReturnType<typeof parseFormula>,
  span: { start: number; end: number },
  sheet: string,
  inputs: PromptInputs,
): unknown {
  const tokens = tokensIn(parsed, span);
  const parts: unknown[] = [];
  for (const [index, token] of tokens.entries()) {
    if (index % 2 === 1) {
      if (token.type !== "operator-infix" || token.value !== "&") return undefined;
      continue;
    }
    if (token.type !== "operand") return undefined;
    if (token.subtype === "text" || token.subtype === "number" || token.subtype === "logical") {
      parts.push([[token.value]]);
      continue;
    }
    const block = referenceBlock(token, sheet);
    if (!block) return undefined;
    const rows: CellValue[][] = [];
    for (let row = block.firstRow; row <= block.lastRow; row++) {
      const values: CellValue[] = [];
      for (let column = block.firstColumn; column <= block.lastColumn; column++) {
        const value = inputs.get(valueKey(block.sheet, row, column));
        if (value === undefined) return undefined;
        values.push(value);
      }
      rows.push(values);
    }
    parts.push(rows);
  }
  if (parts.length === 1) return parts[0];
  // Joined with &: each part must be one value.
  if (parts.some((part) => (part as unknown[][]).flat().length !== 1)) return undefined;
  return parts.map((part) => String((part as unknown[][])[0]![0])).join("");
}

/** The model an options argument names (a text starting "options:"), if any. */
function namedModel(last: unknown): string | undefined {
  try {
    return splitTrailingOptions([last]).options.model;
  } catch {
    return undefined; // options LLM.* would refuse: the default model's price stands
  }
}

/** The backend's models and default, for prices. */
export type Pricing = Pick<ModelsResponse, "models" | "defaultModel">;

/**
 * The model calls the converted formulas will make once written, and a rough cost: with the
 * values of the cells they read (`inputs`, see readPromptInputs), calls that ask the same are
 * counted once and their input measured; without them, calls count by their text. Each prompt
 * is priced with the model its options name, else the default model, and its answer assumed to
 * take ASSUMED_OUTPUT_TOKENS.
 */
export function estimatePrompts(
  findings: readonly Converted[],
  pricing: Pricing | undefined,
  inputs: PromptInputs = new Map(),
): PromptEstimate {
  const prompts = new Map<string, { tokens: number; model: string | undefined }>();
  let calls = 0;
  let unread = 0;
  for (const finding of findings) {
    if (finding.after === undefined) continue;
    const { parsed, calls: found } = llmCalls(finding);
    for (const call of found) {
      calls++;
      const values = call.args.map((span) => argumentValue(parsed, span, finding.sheet, inputs));
      const model = namedModel(values.at(-1));
      const text = parsed.text.slice(call.start, call.end);
      if (values.some((value) => value === undefined)) {
        unread++;
        prompts.set(`text\u0000${finding.sheet}\u0000${text}`, {
          tokens: estimateTokens(text),
          model,
        });
      } else {
        const asked = JSON.stringify(values);
        prompts.set(`${call.name.toUpperCase()}\u0000${asked}`, {
          tokens: estimateTokens(asked),
          model,
        });
      }
    }
  }
  let inputTokens = 0;
  let usd: number | null = 0;
  const fallback = pricing?.models.find((model) => model.id === pricing.defaultModel);
  for (const prompt of prompts.values()) {
    inputTokens += prompt.tokens;
    const price = (pricing?.models.find((model) => model.id === prompt.model) ?? fallback)
      ?.pricePerMillionTokens;
    usd =
      price && usd !== null
        ? usd + (prompt.tokens * price.input + ASSUMED_OUTPUT_TOKENS * price.output) / 1_000_000
        : null;
  }
  return {
    calls,
    distinct: prompts.size,
    unread,
    inputTokens,
    outputTokens: prompts.size * ASSUMED_OUTPUT_TOKENS,
    usd,
  };
}
