/**
 * OfficeLLM, flow step 3: writes the answers of OfficeLLM's `POST /api/v1/batch` (its `results`)
 * into the answer column, each into the row its id names (the row numbers read-prompts gave).
 * Only empty answer cells are written (Excel's "Empty": a cell holding only spaces is filled): a
 * cell someone filled in the meantime is kept and counted in `skipped`. A failed result writes
 * nothing, so its row is asked again next run; it is listed in `failed` with OfficeLLM's error
 * code and message. Answers are entered as text, but for plain numbers, and sent to Excel about
 * 1 MB at a time.
 *
 * @param sheetName The worksheet holding the prompts and answers.
 * @param answerColumn The column the answers go to, in letters ("C").
 * @param results The `results` of OfficeLLM's batch response, unchanged.
 */
function main(
  workbook: ExcelScript.Workbook,
  sheetName: string,
  answerColumn: string,
  results: BatchResult[],
): WriteSummary {
  const sheet = workbook.getWorksheet(sheetName);
  if (!sheet) throw new Error(`There is no worksheet named "${sheetName}" in this workbook.`);
  const column = columnIndex(answerColumn, "answerColumn");
  const summary: WriteSummary = { written: 0, skipped: 0, failed: [] };

  const answers: { row: number; text: string }[] = [];
  for (const result of results) {
    const row = /^[1-9]\d{0,6}$/.test(result.id) ? Number(result.id) : 0;
    if (row < 1 || row > 1048576) {
      const message = `"${result.id}" is not a row number of the sheet`;
      summary.failed.push({ id: result.id, row: 0, code: "invalid_id", message });
    } else if (!result.ok || typeof result.text !== "string") {
      const error = result.error ?? { code: "no_answer", message: "The result has no text" };
      summary.failed.push({ id: result.id, row, code: error.code, message: error.message });
    } else {
      answers.push({ row, text: result.text });
    }
  }
  if (answers.length === 0) return summary;

  // Which answer cells are empty: their value types only, at most 100 rows to a read (a lone
  // row far from the others is read alone), so no read comes near Excel's 5 MB an exchange.
  const rows = answers.map((answer) => answer.row).sort((a, b) => a - b);
  const distinct = rows.filter((row, index) => index === 0 || row !== rows[index - 1]);
  const empty = new Set(emptyRows(sheet, column, distinct, 100));
  // The writes go to Excel about 1 MB at a time (enterAnswer), the last ones when the script ends.
  let queued = 0;
  for (const answer of answers) {
    if (!empty.has(answer.row)) {
      summary.skipped++;
      continue;
    }
    queued = enterAnswer(sheet.getCell(answer.row - 1, column), answer.text, queued);
    // A second result for the same row finds the cell filled.
    empty.delete(answer.row);
    summary.written++;
  }
  return summary;
}

/** One result of OfficeLLM's batch response (the fields this script reads). */
interface BatchResult {
  id: string;
  ok: boolean;
  text?: string;
  error?: { code: string; message: string };
}

interface WriteSummary {
  written: number;
  /** Answers not written because their cell was no longer empty. */
  skipped: number;
  /** Results not written: failed items, and ids that name no row (`row` 0, "invalid_id"). */
  failed: { id: string; row: number; code: string; message: string }[];
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

/**
 * Enters an answer into a cell (as cellText makes it) and returns the bytes of writes now
 * waiting, `queued` being those before it. Office Scripts hold writes back until the script next
 * reads from the workbook, or ends, and send them with that read, in one exchange of at most
 * 5 MB. So once the writes waiting reach 1,000,000 bytes (their values' JSON in UTF-8), a read of
 * the cell's value type (a few bytes) sends them, and none are left waiting.
 */
function enterAnswer(cell: ExcelScript.Range, text: string, queued: number): number {
  const value = cellText(text);
  cell.setValue(value);
  const waiting = queued + utf8Length(JSON.stringify(value));
  if (waiting < 1000000) return waiting;
  cell.getValueTypes();
  return 0;
}

/**
 * An answer as a cell constant. Excel converts what is entered as if typed: "=…", "+…" and
 * "-…" become formulas, "3/4" or "1-2" dates, "50%" a percentage, "TRUE" a boolean, "10:30" a
 * time, "02134" the number 2134, and a number keeps 15 significant digits only. So an answer is
 * entered as a number only when it is one written as JavaScript prints it ("42", "-1.5"; not
 * "+7", "1.50" or "02134") with at most 15 significant digits; every other answer is entered as
 * text, after an apostrophe that Excel keeps as a marker and does not show. An answer longer
 * than the 32,767 characters a cell holds is cut there, ending in "…" (never between the halves
 * of a surrogate pair).
 */
function cellText(text: string): string {
  let fitted = text;
  if (text.length > 32767) {
    const cut = /[\uD800-\uDBFF]/.test(text.charAt(32765)) ? 32765 : 32766;
    fitted = `${text.slice(0, cut)}…`;
  }
  const number = Number(fitted);
  // The digits before any exponent, without the zeros that lead or trail them.
  const digits = fitted
    .replace(/e.*$/, "")
    .replace(/\D/g, "")
    .replace(/^0+|0+$/g, "");
  const plain = Number.isFinite(number) && String(number) === fitted && digits.length <= 15;
  return plain ? fitted : `'${fitted}`;
}

/** JSON's length in UTF-8 (each %XX of its URI encoding is a byte; JSON has no lone surrogate). */
function utf8Length(json: string): number {
  return encodeURIComponent(json).replace(/%[0-9A-F]{2}/g, "x").length;
}
