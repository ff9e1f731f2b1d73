/** What one Excel cell holds, for every part of the add-in that fills cells. */

/** Excel's longest cell text. */
export const MAX_CELL_CHARS = 32_767;

/**
 * Text that reads as a decimal number Excel keeps exactly ("42", "-3.5"; not "007", "1e5",
 * "12%", nor more than 15 digits on either side of the point).
 */
export function isPlainNumber(text: string): boolean {
  return /^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$/.test(text);
}

/** Text cut to fit one cell, ending with "…", never between the halves of a surrogate pair. */
export function fitCell(text: string): string {
  if (text.length <= MAX_CELL_CHARS) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_CELL_CHARS - 2))
    ? MAX_CELL_CHARS - 2
    : MAX_CELL_CHARS - 1;
  return `${text.slice(0, end)}…`;
}
