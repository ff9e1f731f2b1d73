/** What one Excel cell holds, for every part of the add-in that fills cells. */

/** Excel's longest cell text. */
export const MAX_CELL_CHARS = 32_767;

/**
 * Text that Excel enters as a number and shows the same: a number as JavaScript prints it ("42",
 * "-1.5", "1e-7"; not "+7", "1.50" or "007") with at most the 15 significant digits Excel keeps.
 */
export function isExactNumber(text: string): boolean {
  const number = Number(text);
  if (!Number.isFinite(number) || String(number) !== text) return false;
  const digits = text
    .replace(/e.*$/, "")
    .replace(/\D/g, "")
    .replace(/^0+|0+$/g, "");
  return digits.length <= 15;
}

/** Text cut to fit one cell, ending with "…", never between the halves of a surrogate pair. */
export function fitCell(text: string): string {
  if (text.length <= MAX_CELL_CHARS) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_CELL_CHARS - 2))
    ? MAX_CELL_CHARS - 2
    : MAX_CELL_CHARS - 1;
  return `${text.slice(0, end)}…`;
}
