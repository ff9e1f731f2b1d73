/**
 * OfficeLLM, flow step 1: reads the prompts still to answer from a worksheet and returns them
 * as `batch`, the body of OfficeLLM's `POST /api/v1/batch`, for the flow's next step (the
 * OfficeLLM connector) to send as it is. A row is asked when its prompt cell holds text and its
 * answer cell is empty (Excel's "Empty": a cell holding only spaces is filled); its id is its
 * row number ("7"), which write-answers uses to put the answer back. `more` is true when at
 * least one more row qualifies beyond the batch: run the flow again (or loop while `more`) to
 * answer it. The sheet is read a piece at a time, and no further than that row.
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
 * @param temperature Optional: the temperature every prompt is asked at. 0 gives the same answer
 *   to the same prompt, which OfficeLLM keeps in its cache: a row asked again costs nothing.
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
  temperature?: number,
): PromptBatch {
  // A flow passes null for an optional parameter it has no value for: its default applies.
  const first = firstRow ?? 2;
  const most = maxItems ?? 100;
  const budget = maxRequestBytes ?? 1000000;
  const sheet = workbook.getWorksheet(sheetName);
  if (!sheet) throw new Error(`There is no worksheet named "${sheetName}" in this workbook.`);
  const prompts = columnIndex(promptColumn, "promptColumn");
  const answers = columnIndex(answerColumn, "answerColumn");
  if (prompts === answers) throw new Error("promptColumn and answerColumn must differ.");
  wholeNumber(first, "firstRow", 1, 1048576);
  wholeNumber(most, "maxItems", 1, Infinity);
  wholeNumber(budget, "maxRequestBytes", 1, Infinity);

  const result: PromptBatch = { batch: { items: [] }, more: false };
  const used = sheet.getUsedRange(true);
  const lastRow = used ? used.getRowIndex() + used.getRowCount() : 0;
  const lead = (instruction ?? "").trim() === "" ? "" : `${(instruction ?? "").trim()}\n\n`;
  // `{"items":[` and `]}` make 12 bytes; each item counts a comma, one more than n items have.
  let bytes = 11;
  // Excel takes at most 5 MB in one exchange: the answer cells' types are read 1,000 rows at a
  // time, and the prompts' texts only where the answer cell is empty, 25 rows at a time (25
  // cells of 32,767 characters, each at most 6 bytes of JSON, as "\u0001" is, make 4.9 MB).
  for (let top = first; top <= lastRow; top += 1000) {
    const rows: number[] = [];
    for (let row = top; row <= Math.min(lastRow, top + 999); row++) rows.push(row);
    for (const group of rowGroups(emptyRows(sheet, answers, rows, 1000), 25)) {
      const texts = trimmedTexts(sheet, prompts, group);
      for (let index = 0; index < group.length; index++) {
        if (texts[index] === "") continue;
        const item: PromptItem = { id: String(group[index]), prompt: lead + texts[index] };
        if (temperature !== undefined && temperature !== null) item.temperature = temperature;
        const size = utf8Length(JSON.stringify(item)) + 1;
        const fits = result.batch.items.length === 0 || bytes + size <= budget;
        if (result.batch.items.length === most || !fits) {
          // One more row to ask is all `more` needs: read no further.
          result.more = true;
          return result;
        }
        result.batch.items.push(item);
        bytes += size;
      }
    }
  }
  return result;
}

/** What step 1 returns: `batch` goes to OfficeLLM unchanged. */
interface PromptBatch {
  batch: { items: PromptItem[] };
  /** True when at least one more row is to be asked beyond this batch. */
  more: boolean;
}

interface PromptItem {
  id: string;
  prompt: string;
  temperature?: number;
}

/** A column's zero-based index from its letters, in either case ("B" → 1, "aa" → 26), A to XFD. */
function columnIndex(column: string, name: string): number {
  const letters = String(column).trim().toUpperCase();
  if (!/^[A-Z]{1,3}$/.test(letters) || (letters.length === 3 && letters > "XFD")) {
    throw new Error(`${name} must be a column's letters, A to XFD ("B", "AA"); got "${column}".`);
  }
  let index = 0;
  for (let place = 0; place < letters.length; place++) {
    index = index * 26 + letters.charCodeAt(place) - 64;
  }
  return index - 1;
}

function wholeNumber(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be a whole number ${range}; got ${value}.`);
  }
}

/** Rows in ascending order, in groups that each lie within `span` rows of their first row. */
function rowGroups(rows: number[], span: number): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  for (const row of rows) {
    if (group.length > 0 && row - (group[0] as number) >= span) {
      groups.push(group);
      group = [];
    }
    group.push(row);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * The rows among `rows` (numbers from 1, ascending) whose cell in the zero-based `column` Excel
 * calls Empty. Only the cells' value types are read, one block of at most `span` rows for rows
 * close together: never their values, which can be long.
 */
function emptyRows(
  sheet: ExcelScript.Worksheet,
  column: number,
  rows: number[],
  span: number,
): number[] {
  const empty: number[] = [];
  for (const group of rowGroups(rows, span)) {
    const first = group[0] as number;
    const count = (group[group.length - 1] as number) - first + 1;
    const types = sheet.getRangeByIndexes(first - 1, column, count, 1).getValueTypes();
    for (const row of group) {
      if (types[row - first]?.[0] === ExcelScript.RangeValueType.empty) empty.push(row);
    }
  }
  return empty;
}

/** The displayed text, trimmed, of each row's cell in the zero-based `column`, in one read. */
function trimmedTexts(sheet: ExcelScript.Worksheet, column: number, group: number[]): string[] {
  const first = group[0] as number;
  const count = (group[group.length - 1] as number) - first + 1;
  const texts = sheet.getRangeByIndexes(first - 1, column, count, 1).getTexts();
  return group.map((row) => (texts[row - first]?.[0] ?? "").trim());
}

/** JSON's length in UTF-8 (each %XX of its URI encoding is a byte; JSON has no lone surrogate). */
function utf8Length(json: string): number {
  return encodeURIComponent(json).replace(/%[0-9A-F]{2}/g, "x").length;
}
