/**
 * OfficeLLM, run by hand in Excel: answers the prompts in the selected cells. The first column
 * of the selection holds the prompts; each answer goes `answerOffset` columns to its right.
 * Rows with no prompt are passed over, and rows whose answer cell is already filled (anything
 * but Excel's "Empty", even spaces) are skipped, so running it again only asks what is still
 * unanswered. Prompts go to your OfficeLLM server's `POST /api/v1/batch`, at most `maxItems` to
 * a request, one request after the other, and each request's answers are written as it comes
 * back, sent to Excel about 1 MB at a time. A prompt that fails leaves its answer cell empty.
 * A request refused as too many (429) or while the server is busy (503) is sent again after
 * the wait its Retry-After asks for, up to 3 tries, 30 s a wait and 60 s of waiting a run; past
 * that the script stops and says which rows it left unanswered. Each request carries an
 * Idempotency-Key, the same on each of its tries: the server computes it once whatever happens
 * to the connection, and a try sent again gets the answers of the first instead of paying again.
 * This script calls the server with `fetch`, which Office Scripts allow only when run in Excel,
 * not from Power Automate.
 *
 * @param serverUrl Your OfficeLLM server, such as https://officellm.example.com.
 * @param token Your OfficeLLM token (ollm_…) with the llm scope; it is sent to serverUrl only.
 * @param instruction Optional text put before every prompt, followed by a blank line.
 * @param answerOffset How many columns right of the prompts the answers go (negative: left).
 * @param maxRequestBytes At most this many bytes in one request: keep it under the server's
 *   BODY_LIMIT (1 MiB unless its operator changed it).
 * @param maxItems At most this many prompts in one request: keep it at most the server's
 *   BATCH_MAX_ITEMS (500 unless its operator changed it).
 */
async function main(
  workbook: ExcelScript.Workbook,
  serverUrl: string,
  token: string,
  instruction: string = "",
  answerOffset: number = 1,
  maxRequestBytes: number = 1000000,
  maxItems: number = 100,
): Promise<FillSummary> {
  // Left empty, an optional parameter may come as null: its default applies.
  const offset = answerOffset ?? 1;
  const budget = maxRequestBytes ?? 1000000;
  const most = maxItems ?? 100;
  const endpoint = `${String(serverUrl).trim().replace(/\/+$/, "")}/api/v1/batch`;
  if (!/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new Error(
      `serverUrl must be your OfficeLLM server, such as https://officellm.example.com; got "${serverUrl}".`,
    );
  }
  const secret = String(token ?? "").trim();
  if (secret === "") throw new Error("token is empty: paste your OfficeLLM token (ollm_…).");
  if (!Number.isInteger(offset) || offset === 0) {
    throw new Error(`answerOffset must be a whole number other than 0; got ${offset}.`);
  }
  wholeNumber(budget, "maxRequestBytes", 1, Infinity);
  wholeNumber(most, "maxItems", 1, Infinity);

  const selection = workbook.getSelectedRange();
  const sheet = selection.getWorksheet();
  const promptColumn = selection.getColumnIndex();
  const answerColumn = promptColumn + offset;
  if (answerColumn < 0 || answerColumn > 16383) {
    throw new Error(`answerOffset ${offset} puts the answers outside the sheet.`);
  }
  // Rows numbered from 1, down to the last used row only: a whole selected column reads no
  // more than the sheet holds.
  const top = selection.getRowIndex() + 1;
  const used = sheet.getUsedRange(true);
  const bottom = Math.min(
    top + selection.getRowCount() - 1,
    used ? used.getRowIndex() + used.getRowCount() : 0,
  );
  const lead = (instruction ?? "").trim() === "" ? "" : `${(instruction ?? "").trim()}\n\n`;

  // This run's name, in each request's Idempotency-Key with the request's first row.
  const run = `fill-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const summary: FillSummary = { answered: 0, failed: 0, skipped: 0 };
  const patience: Patience = { waitedMs: 0 };
  let firstFailure = "";
  let items: PromptItem[] = [];
  // `{"items":[` and `]}` make 12 bytes; each item counts a comma, one more than n items have.
  let bytes = 11;
  const send = async (): Promise<void> => {
    // Requests go in row order: rows above this one are done, none from it down are written.
    const first = Number(items[0]?.id);
    const left =
      first < bottom
        ? ` Rows ${first} to ${bottom} are left as they were: run the script again to answer them.`
        : ` Row ${first} is left as it was: run the script again to answer it.`;
    const key = `${run}-row-${first}`;
    const results = await askOfficeLlm(endpoint, secret, key, items, summary, patience, left);
    // Read again just before writing: a cell filled meanwhile is kept.
    const rows = items.map((item) => Number(item.id));
    const empty = new Set(emptyRows(sheet, answerColumn, rows, 100));
    // The writes go to Excel about 1 MB at a time (enterAnswer).
    let queued = 0;
    let last = 0;
    for (const item of items) {
      const row = Number(item.id);
      const result = results.find((candidate) => candidate.id === item.id);
      if (!result || !result.ok || typeof result.text !== "string") {
        summary.failed++;
        const reason = result?.error
          ? `${result.error.code}: ${result.error.message}`
          : "no answer";
        if (firstFailure === "") {
          firstFailure = ` First failure, row ${item.id}: ${reason.replace(/\.$/, "")}.`;
        }
      } else if (!empty.has(row)) {
        summary.skipped++;
      } else {
        queued = enterAnswer(sheet.getCell(row - 1, answerColumn), result.text, queued);
        last = row;
        summary.answered++;
      }
    }
    // The rest go now, not with the next read, which may be of prompts near 5 MB themselves.
    if (queued > 0) sheet.getCell(last - 1, answerColumn).getValueTypes();
    items = [];
    bytes = 11;
  };

  // Excel takes at most 5 MB in one exchange: the cells' types are read 1,000 rows at a time,
  // and the prompts' texts only where a prompt awaits its answer, 25 rows at a time (25 cells
  // of 32,767 characters, each at most 6 bytes of JSON, as "\u0001" is, make 4.9 MB).
  for (let first = top; first <= bottom; first += 1000) {
    const rows: number[] = [];
    for (let row = first; row <= Math.min(bottom, first + 999); row++) rows.push(row);
    const noPrompt = new Set(emptyRows(sheet, promptColumn, rows, 1000));
    const noAnswer = new Set(emptyRows(sheet, answerColumn, rows, 1000));
    const open = rows.filter((row) => !noPrompt.has(row) && noAnswer.has(row));
    summary.skipped += rows.filter((row) => !noPrompt.has(row) && !noAnswer.has(row)).length;
    for (const group of rowGroups(open, 25)) {
      const texts = trimmedTexts(sheet, promptColumn, group);
      for (let index = 0; index < group.length; index++) {
        if (texts[index] === "") continue;
        const item: PromptItem = { id: String(group[index]), prompt: lead + texts[index] };
        const size = utf8Length(JSON.stringify(item)) + 1;
        if (items.length === most || (items.length > 0 && bytes + size > budget)) await send();
        items.push(item);
        bytes += size;
      }
    }
  }
  if (items.length > 0) await send();
  const waited =
    patience.waitedMs > 0
      ? ` Waited ${Math.ceil(patience.waitedMs / 1000)} s in all for the server to take more.`
      : "";
  console.log(
    `OfficeLLM: ${summary.answered} answered, ${summary.failed} failed, ` +
      `${summary.skipped} skipped (already answered).${firstFailure}${waited}`,
  );
  return summary;
}

interface FillSummary {
  answered: number;
  failed: number;
  /** Rows with a prompt whose answer cell was already filled. */
  skipped: number;
}

interface PromptItem {
  id: string;
  prompt: string;
  temperature?: number;
}

/** One result of OfficeLLM's batch response (the fields this script reads). */
interface BatchResult {
  id: string;
  ok: boolean;
  text?: string;
  error?: { code: string; message: string };
}

/** How long the script has waited on the server's Retry-After in this run. */
interface Patience {
  waitedMs: number;
}

/**
 * Sends one batch under `key`; an answer that is not a batch response stops the script with its reason,
 * what was written before it and `left` (the rows left unanswered). A 429 or 503 is asked again
 * after the wait its Retry-After asks for (seconds or a date; 5 s without one), at most 3 tries
 * a request, 30 s a wait and 60 s of waiting a run (`patience`): a longer wait is not shortened,
 * as asking sooner than the server said would only be refused again, and the script stops.
 */
async function askOfficeLlm(
  endpoint: string,
  token: string,
  key: string,
  items: PromptItem[],
  done: FillSummary,
  patience: Patience,
  left: string,
): Promise<BatchResult[]> {
  const sofar = done.answered > 0 ? ` (${done.answered} answers were written before this.)` : "";
  let response: Response;
  let text: string;
  for (let tries = 1; ; tries++) {
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          "Idempotency-Key": key,
        },
        body: JSON.stringify({ items }),
      });
      text = await response.text();
    } catch (error: unknown) {
      // Office Scripts' TypeScript 4.0 has no `new Error(message, { cause })`.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`Could not reach OfficeLLM at ${endpoint}: ${String(error)}.${sofar}${left}`);
    }
    if (response.status !== 429 && response.status !== 503) break;
    const wait = retryAfterMs(response.headers.get("Retry-After"));
    if (tries === 3 || wait > 30000 || patience.waitedMs + wait > 60000) {
      const ask = wait > 30000 ? ` It asks to wait ${Math.ceil(wait / 1000)} s.` : "";
      const tried = tries > 1 ? ` Tried ${tries} times.` : "";
      throw new Error(`${refusal(response, text)}${ask}${tried}${sofar}${left}`);
    }
    if (!(await pause(wait))) throw new Error(`${refusal(response, text)}${sofar}${left}`);
    patience.waitedMs += wait;
  }
  if (!response.ok) throw new Error(`${refusal(response, text)}${sofar}${left}`);
  const reply = batchReply(text);
  if (!Array.isArray(reply.results)) {
    throw new Error(
      `OfficeLLM's answer (${response.status}) is not a batch response.${sofar}${left}`,
    );
  }
  return reply.results;
}

/** A refused request, said with the server's status, code, message and request id. */
function refusal(response: Response, text: string): string {
  const reply = batchReply(text);
  const code = reply.error?.code ?? response.statusText;
  const message = (reply.error?.message ?? "the server gave no reason").replace(/\.$/, "");
  const request = reply.error?.requestId ? ` (request id ${reply.error.requestId})` : "";
  return `OfficeLLM refused the request (${response.status} ${code}): ${message}${request}.`;
}

/** A response's body as OfficeLLM's JSON, or nothing known for any other (a proxy's page). */
function batchReply(text: string): BatchReply {
  try {
    const body: unknown = JSON.parse(text);
    return (typeof body === "object" && body !== null ? body : {}) as BatchReply;
  } catch {
    return {};
  }
}

/** The wait a Retry-After asks for (whole seconds or an HTTP date), in ms; 5 s without one. */
function retryAfterMs(header: string | null): number {
  const value = (header ?? "").trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 5000 : Math.max(0, date - Date.now());
}

/**
 * Waits `ms` with the host's timer and resolves true; false at once where the host has none,
 * as asking again without waiting would only be refused again.
 */
async function pause(ms: number): Promise<boolean> {
  if (typeof setTimeout !== "function") return false;
  await new Promise<void>((resolve) => setTimeout(resolve, ms));
  return true;
}

/** The body of a batch response, or of OfficeLLM's error envelope. */
interface BatchReply {
  results?: BatchResult[];
  error?: { code?: string; message?: string; requestId?: string };
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
