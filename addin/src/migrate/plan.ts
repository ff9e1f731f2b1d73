import { estimateTokens } from "../../../server/llm/token-estimate.ts";
import { cellAddress } from "../office/address.ts";
import type { FormulaCell } from "../office/formulas.ts";
import { ASSUMED_OUTPUT_TOKENS } from "../taskpane/fill-plan.ts";
import type { ModelInfo } from "../taskpane/api.ts";
import { parseFormula } from "./formula.ts";
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
   * Distinct calls by their text: identical text reads identical inputs, so it is asked once
   * (the functions' batching and cache); calls whose text differs may still turn out equal
   * once their cells are read, so this is an upper bound.
   */
  distinct: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when the model's price is unknown. */
  usd: number | null;
}

/**
 * The model calls the converted formulas will make at their first recalculation, and a rough
 * cost: the calls' own text in tokens (the cells they read add to it) and an assumed answer each.
 */
export function estimatePrompts(
  afters: readonly string[],
  model: ModelInfo | undefined,
): PromptEstimate {
  const texts: string[] = [];
  for (const after of afters) {
    const parsed = parseFormula(after.replace(/^\s*\{([\s\S]*)\}\s*$/, "$1"));
    for (const call of parsed.calls) {
      if (/^LLM\./i.test(call.name)) texts.push(parsed.text.slice(call.start, call.end));
    }
  }
  const distinct = new Set(texts);
  const inputTokens = [...distinct].reduce((sum, text) => sum + estimateTokens(text), 0);
  const outputTokens = distinct.size * ASSUMED_OUTPUT_TOKENS;
  const usd = model
    ? (inputTokens * model.pricePerMillionTokens.input +
        outputTokens * model.pricePerMillionTokens.output) /
      1_000_000
    : null;
  return { calls: texts.length, distinct: distinct.size, inputTokens, outputTokens, usd };
}
