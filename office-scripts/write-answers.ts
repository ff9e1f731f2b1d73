/**
 * OfficeLLM, flow step 3: writes the answers of OfficeLLM's `POST /api/v1/batch` (its `results`)
 * into the answer column, each into the row its id names (the row numbers read-prompts gave).
 * Only empty answer cells are written: a cell someone filled in the meantime is kept and
 * counted in `skipped`. A failed result writes nothing, so its row is asked again next run; it
 * is listed in `failed` with OfficeLLM's error code and message.
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
  const column = columnLetters(answerColumn, "answerColumn");
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

  // One read of the answer cells, from the first row answered to the last.
  const top = Math.min(...answers.map((answer) => answer.row));
  const bottom = Math.max(...answers.map((answer) => answer.row));
  const block = sheet.getRange(`${column}${top}:${column}${bottom}`);
  const current = block.getValues().map((cells) => String(cells[0] ?? "").trim());
  for (const answer of answers) {
    if (current[answer.row - top] !== "") {
      summary.skipped++;
      continue;
    }
    block.getCell(answer.row - top, 0).setValue(cellText(answer.text));
    // A second result for the same row finds the cell filled.
    current[answer.row - top] = "written";
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

/** A column's letters, upper-cased ("aa" → "AA"), if it is a column of a sheet (A to XFD). */
function columnLetters(column: string, name: string): string {
  const letters = column.trim().toUpperCase();
  if (/^[A-Z]{1,3}$/.test(letters) && (letters.length < 3 || letters <= "XFD")) return letters;
  throw new Error(`${name} must be a column's letters, A to XFD ("B", "AA"); got "${column}".`);
}

/**
 * An answer as a cell constant: cut to the 32,767 characters a cell holds, and kept as text
 * (a leading apostrophe) where Excel would read it as a formula ("=…", "+…" or "-…" but for a
 * plain number).
 */
function cellText(text: string): string {
  const fitted = text.length > 32767 ? `${text.slice(0, 32766)}…` : text;
  const formula = /^[=+-]/.test(fitted) && !/^[+-]?\d+(\.\d+)?$/.test(fitted);
  return formula ? `'${fitted}` : fitted;
}
