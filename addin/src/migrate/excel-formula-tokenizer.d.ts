/**
 * Types for excel-formula-tokenizer 3 (its own index.d.ts declares tokenize without exporting it
 * and omits the options this add-in uses).
 */
declare module "excel-formula-tokenizer" {
  export interface Token {
    value: string;
    /** operand, function, subexpression, argument, operator-prefix/-infix/-postfix, unknown. */
    type: string;
    /** start/stop for functions and subexpressions; text, number, logical, error, range for operands. */
    subtype: string;
  }
  export interface TokenizeOptions {
    /** en-US: "," between arguments, "." in numbers; de-DE: ";" and ",". */
    language?: "en-US" | "de-DE";
    /** Keeps numbers and separators as written instead of converting them to en-US. */
    preserveLanguage?: boolean;
  }
  export function tokenize(formula: string, options?: TokenizeOptions): Token[];
}
