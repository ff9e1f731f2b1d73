import {
  FormulaSyntaxError,
  parseFormula,
  tokensIn,
  type Call,
  type ParsedFormula,
  type Separator,
  type Span,
} from "./formula.ts";

/**
 * Rewrites formulas that call the retired =COPILOT(), Cellm's PROMPT family or Excel Labs'
 * LABS.GENERATIVEAI() into OfficeLLM's =LLM.* functions, nested calls included, leaving every
 * other character of the formula as it was. What cannot be rewritten exactly says why.
 * The mapping is documented in docs/excel.md, "Moving from COPILOT(), Cellm and Excel Labs".
 */

/** The functions a migration looks for, by their documented names. */
export type SourceFunction =
  | "COPILOT"
  | "PROMPT"
  | "PROMPT.TOROW"
  | "PROMPT.TOCOLUMN"
  | "PROMPT.TORANGE"
  | "PROMPTMODEL"
  | "PROMPTMODEL.TOROW"
  | "PROMPTMODEL.TOCOLUMN"
  | "PROMPTMODEL.TORANGE"
  | "PROMPTWITH"
  | "LABS.GENERATIVEAI";

interface Target {
  source: SourceFunction;
  /** The LLM.* function it becomes. */
  to: string;
  family: "copilot" | "cellm" | "labs";
  /** Cellm's PROMPTMODEL/PROMPTWITH: the first argument is "provider/model". */
  modelFirst: boolean;
}

const SHAPES: Record<string, string> = {
  "": "LLM.PROMPT",
  ".TOROW": "LLM.PROMPT.TOROW",
  ".TOCOLUMN": "LLM.PROMPT.TOCOLUMN",
  ".TORANGE": "LLM.TABLE",
};

/**
 * Which source function a name written in a formula calls. Excel writes a function unknown to
 * the running version with `_xlfn.` in front (COPILOT after its retirement), a missing add-in's
 * function may come as `_xludf.NAME`, `_xldudf_NS_NAME` or qualified by the add-in's path
 * (`'C:\…\Cellm.xll'!PROMPT`); names are case-insensitive.
 */
export function identify(written: string): Target | undefined {
  let name = written.toUpperCase();
  name = name.slice(name.lastIndexOf("!") + 1);
  name = name.replace(/^_XLFN\.|^_XLUDF\./, "");
  if (name.startsWith("_XLDUDF_")) name = name.slice(8).replace("_", ".");
  if (name === "COPILOT")
    return { source: name, to: "LLM.PROMPT", family: "copilot", modelFirst: false };
  if (name === "LABS.GENERATIVEAI")
    return { source: name, to: "LLM.PROMPT", family: "labs", modelFirst: false };
  const cellm = /^(PROMPT|PROMPTMODEL|PROMPTWITH)(\.TOROW|\.TOCOLUMN|\.TORANGE)?$/.exec(name);
  if (!cellm || (cellm[1] === "PROMPTWITH" && cellm[2])) return undefined;
  return {
    source: name as SourceFunction,
    to: SHAPES[cellm[2] ?? ""]!,
    family: "cellm",
    modelFirst: cellm[1] !== "PROMPT",
  };
}

/** A quick test before tokenizing: could the formula call one of the source functions? */
export function mayCallSource(formula: unknown): formula is string {
  return (
    typeof formula === "string" &&
    /^\s*\{?=/.test(formula) &&
    /COPILOT|PROMPT|GENERATIVEAI/i.test(formula)
  );
}

/** A model the backend offers: its id and the provider that serves it. */
export interface OfferedModel {
  id: string;
  provider: string;
}

export interface RewriteOptions {
  /** The formula's list separator; detected when not given. */
  separator?: Separator;
  /**
   * The models the backend offers: a model named in a formula and not among them is flagged.
   * Without them, model names are moved as written, unchecked.
   */
  models?: readonly OfferedModel[];
}

/**
 * The backend's id for a model named in a formula: the same id, or for Cellm's
 * "provider/model" the id the backend gives that model of that provider (Cellm's
 * "openai/gpt-4.1" is the OpenAI provider's "gpt-4.1"); undefined when it offers none.
 */
function offeredId(named: string, models: readonly OfferedModel[]): string | undefined {
  if (models.some((model) => model.id === named)) return named;
  const slash = named.indexOf("/");
  if (slash < 0) return undefined;
  const provider = named.slice(0, slash).toLowerCase();
  const id = named.slice(slash + 1);
  return models.find((model) => model.provider.toLowerCase() === provider && model.id === id)?.id;
}

export interface Rewrite {
  before: string;
  /** The rewritten formula; undefined when it could not be read or holds nothing to migrate. */
  after?: string;
  /** The source functions called, each once, in the order first met. */
  sources: SourceFunction[];
  /** True when `after` means what `before` meant; otherwise `reasons` say what differs. */
  exact: boolean;
  reasons: string[];
}

/** A literal argument: a text (unquoted), a number, or nothing at all. */
type Literal =
  { kind: "text"; value: string } | { kind: "number"; value: number } | { kind: "empty" };

function literalOf(parsed: ParsedFormula, span: Span): Literal | undefined {
  const tokens = tokensIn(parsed, span);
  if (tokens.length === 0) return { kind: "empty" };
  const negative =
    tokens.length === 2 && tokens[0]!.type === "operator-prefix" && tokens[0]!.value === "-";
  const last = tokens.at(-1)!;
  if (tokens.length !== 1 && !negative) return undefined;
  if (last.type !== "operand") return undefined;
  if (last.subtype === "text" && !negative) return { kind: "text", value: last.value };
  if (last.subtype === "number") {
    const value = Number(last.value.replace(",", "."));
    return { kind: "number", value: negative ? -value : value };
  }
  return undefined;
}

const OPTIONS_PREFIX = /^\s*options\s*:/i;
const MODEL_ID = /^[\w.:/@+-]{1,100}$/;

/** An options value: a literal written into the text, or an expression joined to it with &. */
type OptionValue = { literal: string } | { expression: string };

function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * The options argument: `"options: model=x; temperature=0.2"` when every value is a literal,
 * else the text joined with the expressions (`"options: model=" & A1 & "; temperature=0.2"`),
 * which LLM.PROMPT reads once Excel has computed it.
 */
function optionsArgument(options: [string, OptionValue][]): string | undefined {
  if (options.length === 0) return undefined;
  const parts: string[] = [];
  let text = "options: ";
  options.forEach(([key, value], index) => {
    text += `${index > 0 ? "; " : ""}${key}=`;
    if ("literal" in value) {
      text += value.literal;
    } else {
      parts.push(quote(text), value.expression);
      text = "";
    }
  });
  if (text !== "") parts.push(quote(text));
  return parts.join(" & ");
}

/** An argument's text as an operand of &: a single token as it is, anything else in parentheses. */
function asOperand(parsed: ParsedFormula, span: Span, text: string): string {
  return tokensIn(parsed, span).length === 1 ? text.trim() : `(${text.trim()})`;
}

interface Arguments {
  args: string[];
  options?: string | undefined;
  reasons: string[];
}

interface CallRewrite {
  text: string;
  reasons: string[];
}

class Rewriter {
  readonly sources = new Set<SourceFunction>();
  readonly reasons: string[] = [];
  private readonly joiner: string;

  private readonly parsed: ParsedFormula;
  private readonly options: RewriteOptions;

  constructor(parsed: ParsedFormula, options: RewriteOptions) {
    this.parsed = parsed;
    this.options = options;
    const first = parsed.calls.find((call) => call.args.length > 1);
    const spaced = first ? /^\s/.test(parsed.text.slice(first.args[1]!.start)) : true;
    this.joiner = parsed.separator + (spaced ? " " : "");
  }

  /** The text of [from, to) with every source call inside it rewritten (outermost first). */
  render(from: number, to: number): string {
    let out = "";
    let at = from;
    for (const call of this.parsed.calls) {
      if (call.start < at || call.end > to) continue;
      const target = identify(call.name);
      if (!target) continue;
      const rewritten = this.rewriteCall(call, target);
      if (!rewritten) continue;
      out += this.parsed.text.slice(at, call.start) + rewritten.text;
      this.reasons.push(...rewritten.reasons);
      at = call.end;
    }
    return out + this.parsed.text.slice(at, to);
  }

  private argText(span: Span): string {
    return this.render(span.start, span.end);
  }

  private rewriteCall(call: Call, target: Target): CallRewrite | undefined {
    this.sources.add(target.source);
    const rewrite =
      target.family === "copilot"
        ? this.copilot(call)
        : target.family === "labs"
          ? this.labs(call)
          : this.cellm(call, target);
    if (typeof rewrite === "string") {
      this.reasons.push(`${target.source}: ${rewrite}`);
      return undefined;
    }
    return {
      text: `${target.to}(${this.join(rewrite.args, rewrite.options)})`,
      reasons: rewrite.reasons.map((reason) => `${target.source}: ${reason}`),
    };
  }

  /**
   * The new argument list: the kept arguments as written (spacing included, the first without
   * leading space), then the options argument, if any, after the formula's usual separator.
   */
  private join(args: string[], options: string | undefined): string {
    const kept = args.map((arg, index) => (index === 0 ? arg.trimStart() : arg));
    if (options === undefined) return kept.join(this.parsed.separator);
    const last = kept.length - 1;
    if (last >= 0) kept[last] = kept[last]!.trimEnd();
    return kept.join(this.parsed.separator) + this.joiner + options;
  }

  /**
   * Context arguments kept as they are. A literal "options:…" last would change meaning, unless
   * an options argument follows it (`optionsFollow`).
   */
  private context(args: Span[], reasons: string[], optionsFollow = false): string[] {
    const last = optionsFollow ? undefined : args.at(-1);
    const literal = last ? literalOf(this.parsed, last) : undefined;
    if (literal?.kind === "text" && OPTIONS_PREFIX.test(literal.value))
      reasons.push(
        `its last argument starts with "options:", which LLM.* reads as options, not as prompt text`,
      );
    return args.map((span) => this.argText(span));
  }

  private copilot(call: Call): Arguments | string {
    if (call.args.length === 0) return "no prompt to move";
    const reasons: string[] = [];
    return { args: this.context(call.args, reasons), reasons };
  }

  private model(span: Span, reasons: string[]): OptionValue | undefined {
    const literal = literalOf(this.parsed, span);
    if (literal?.kind === "empty") return undefined;
    if (literal?.kind !== "text")
      return { expression: asOperand(this.parsed, span, this.argText(span)) };
    const id = literal.value.trim();
    if (!MODEL_ID.test(id)) {
      reasons.push(`"${id}" is not a model id`);
      return { literal: id };
    }
    if (!this.options.models) return { literal: id };
    const offered = offeredId(id, this.options.models);
    if (offered === undefined)
      reasons.push(`your backend does not offer the model "${id}": choose one it offers`);
    return { literal: offered ?? id };
  }

  private number(
    span: Span,
    what: string,
    valid: (value: number) => boolean,
    reasons: string[],
  ): OptionValue | undefined {
    const literal = literalOf(this.parsed, span);
    if (literal?.kind === "empty") return undefined;
    if (literal?.kind === "number") {
      if (!valid(literal.value)) reasons.push(`${literal.value} is not a valid ${what}`);
      return { literal: String(literal.value) };
    }
    reasons.push(
      `the ${what} is computed (${this.argText(span).trim()}): its value is joined into the options text, so it must come out as a plain number such as 0.5`,
    );
    return { expression: asOperand(this.parsed, span, this.argText(span)) };
  }

  private cellm(call: Call, target: Target): Arguments | string {
    const reasons: string[] = [];
    const options: [string, OptionValue][] = [];
    let rest = call.args;
    if (target.modelFirst) {
      if (rest.length < 2) return "no model and prompt to move";
      const model = this.model(rest[0]!, reasons);
      if (model) options.push(["model", model]);
      rest = rest.slice(1);
    }
    if (rest.length === 0) return "no prompt to move";
    // Cellm's earlier PROMPT(cells, instructions, temperature) ended with a number.
    const last = literalOf(this.parsed, rest.at(-1)!);
    if (rest.length >= 2 && last?.kind === "number") {
      options.push([
        "temperature",
        this.number(rest.at(-1)!, "temperature (0 to 2)", (t) => t >= 0 && t <= 2, reasons)!,
      ]);
      rest = rest.slice(0, -1);
    }
    if (target.to === "LLM.TABLE")
      reasons.push(
        "Cellm's TORANGE let the model choose the shape; LLM.TABLE always answers a table with a header row",
      );
    const args = this.context(rest, reasons, options.length > 0);
    return { args, options: optionsArgument(options), reasons };
  }

  private labs(call: Call): Arguments | string {
    const [prompt, temperature, maxTokens, model, ...more] = call.args;
    if (!prompt || literalOf(this.parsed, prompt)?.kind === "empty") return "no prompt to move";
    if (more.length > 0) return "it has more arguments than LABS.GENERATIVEAI takes";
    const reasons: string[] = [];
    const options: [string, OptionValue][] = [];
    const add = (key: string, value: OptionValue | undefined) => {
      if (value) options.push([key, value]);
    };
    if (temperature)
      add(
        "temperature",
        this.number(temperature, "temperature (0 to 2)", (t) => t >= 0 && t <= 2, reasons),
      );
    if (maxTokens)
      add(
        "maxTokens",
        this.number(maxTokens, "token limit", (n) => Number.isInteger(n) && n >= 1, reasons),
      );
    if (model) add("model", this.model(model, reasons));
    const args = this.context([prompt], reasons, options.length > 0);
    return { args, options: optionsArgument(options), reasons };
  }
}

/**
 * Rewrites one formula (as Range.formulas gives it: `=…`, or a legacy array formula's `{=…}`).
 * A formula that calls no source function comes back with `after` undefined and no sources.
 */
export function rewriteFormula(formula: string, options: RewriteOptions = {}): Rewrite {
  const array = /^\s*\{(=[\s\S]*)\}\s*$/.exec(formula);
  const inner = array ? array[1]! : formula;
  let parsed: ParsedFormula;
  try {
    parsed = parseFormula(inner, options.separator);
  } catch (error) {
    if (!(error instanceof FormulaSyntaxError)) throw error;
    return {
      before: formula,
      sources: [],
      exact: false,
      reasons: [`the formula could not be read: ${error.message}`],
    };
  }
  const rewriter = new Rewriter(parsed, options);
  const rendered = rewriter.render(0, inner.length);
  const sources = [...rewriter.sources];
  if (sources.length === 0) return { before: formula, sources, exact: true, reasons: [] };
  const changed = rendered !== inner;
  const after = array ? `{${rendered}}` : rendered;
  if (changed) {
    // What is written must read back as a formula; never hand Excel a broken one.
    try {
      parseFormula(rendered, parsed.separator);
    } catch (error) {
      if (!(error instanceof FormulaSyntaxError)) throw error;
      return {
        before: formula,
        sources,
        exact: false,
        reasons: [`the rewritten formula could not be read back: ${error.message}`],
      };
    }
  }
  return {
    before: formula,
    ...(changed ? { after } : {}),
    sources,
    exact: changed && rewriter.reasons.length === 0,
    reasons: rewriter.reasons,
  };
}
