/**
 * OfficeLLM, flow step 1: reads the prompts still to answer from a worksheet and returns them
 * as `batch`, the body of OfficeLLM's `POST /api/v1/batch`, for the flow's next step (the
 * OfficeLLM connector) to send as it is. A row is asked when its prompt cell holds text and its
 * answer cell is empty; its id is its row number ("7"), which write-answers uses to put the
 * answer back. Rows that qualify beyond the limits are counted in `remaining`: run the flow
 * again (or loop while `remaining` > 0) to answer them.
 *
 * @param sheetName The worksheet holding the prompts.
 * @param promptColumn The column of the prompts, in letters ("B").
 * @param answerColumn The column the answers go to ("C"): rows already answered are left out.
 * @param firstRow The first row to read; 2 skips a header row.
 * @param instruction Optional text put before every prompt, followed by a blank line.
 * @param maxItems At most this many prompts in one batch (the server's BATCH_MAX_ITEMS, 500
 *   unless its operator changed it, is the most it takes).
 * @param maxRequestBytes At most this many bytes of JSON in `batch`: keep it under the
 *   server's BODY_LIMIT (1 MiB unless its operator changed it).
 */
function main(
  workbook: ExcelScript.Workbook,
  sheetName: string,
  promptColumn: string,
  answerColumn: string,
  firstRow: number = 2,
  instruction: string = "",
  maxItems: number = 100,
  maxRequestBytes: number = 1000000,
): PromptBatch {
  const sheet = workbook.getWorksheet(sheetName);
  if (!sheet) throw new Error(`There is no worksheet named "${sheetName}" in this workbook.`);
  const prompts = columnLetters(promptColumn, "promptColumn");
  const answers = columnLetters(answerColumn, "answerColumn");
  if (prompts === answers) throw new Error("promptColumn and answerColumn must differ.");
  wholeNumber(firstRow, "firstRow", 1, 1048576);
  wholeNumber(maxItems, "maxItems", 1, Infinity);
  wholeNumber(maxRequestBytes, "maxRequestBytes", 1, Infinity);

  const result: PromptBatch = { batch: { items: [] }, remaining: 0 };
  const used = sheet.getUsedRange(true);
  const lastRow = used ? used.getRowIndex() + used.getRowCount() : 0;
  if (lastRow < firstRow) return result;

  const promptTexts = sheet.getRange(`${prompts}${firstRow}:${prompts}${lastRow}`).getTexts();
  const answerValues = sheet.getRange(`${answers}${firstRow}:${answers}${lastRow}`).getValues();
  const lead = instruction.trim() === "" ? "" : `${instruction.trim()}\n\n`;
  // `{"items":[` and `]}` make 12 bytes; each item counts a comma, one more than n items have.
  let bytes = 11;
  for (let index = 0; index < promptTexts.length; index++) {
    const text = (promptTexts[index]?.[0] ?? "").trim();
    if (text === "" || String(answerValues[index]?.[0] ?? "").trim() !== "") continue;
    const item: PromptItem = { id: String(firstRow + index), prompt: lead + text };
    const size = utf8Length(JSON.stringify(item)) + 1;
    const fits = result.batch.items.length === 0 || bytes + size <= maxRequestBytes;
    if (result.remaining === 0 && result.batch.items.length < maxItems && fits) {
      result.batch.items.push(item);
      bytes += size;
    } else {
      result.remaining++;
    }
  }
  return result;
}

/** What step 1 returns: `batch` goes to OfficeLLM unchanged. */
interface PromptBatch {
  batch: { items: PromptItem[] };
  remaining: number;
}

interface PromptItem {
  id: string;
  prompt: string;
}

/** A column's letters, upper-cased ("aa" → "AA"), if it is a column of a sheet (A to XFD). */
function columnLetters(column: string, name: string): string {
  const letters = column.trim().toUpperCase();
  if (/^[A-Z]{1,3}$/.test(letters) && (letters.length < 3 || letters <= "XFD")) return letters;
  throw new Error(`${name} must be a column's letters, A to XFD ("B", "AA"); got "${column}".`);
}

function wholeNumber(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be a whole number ${range}; got ${value}.`);
  }
}

/** JSON's length in UTF-8 (each %XX of its URI encoding is a byte; JSON has no lone surrogate). */
function utf8Length(json: string): number {
  return encodeURIComponent(json).replace(/%[0-9A-F]{2}/g, "x").length;
}
