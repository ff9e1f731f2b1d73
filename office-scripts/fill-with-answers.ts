/**
 * OfficeLLM, run by hand in Excel: answers the prompts in the selected cells. The first column
 * of the selection holds the prompts; each answer goes `answerOffset` columns to its right.
 * Rows with no prompt are passed over, and rows whose answer cell is already filled are
 * skipped, so running it again only asks what is still unanswered. Prompts go to your OfficeLLM
 * server's `POST /api/v1/batch`, at most 100 to a request, one request after the other. A
 * prompt that fails leaves its answer cell empty. This script calls the server with `fetch`,
 * which Office Scripts allow only when run in Excel, not from Power Automate.
 *
 * @param serverUrl Your OfficeLLM server, such as https://officellm.example.com.
 * @param token Your OfficeLLM token (ollm_…) with the llm scope; it is sent to serverUrl only.
 * @param instruction Optional text put before every prompt, followed by a blank line.
 * @param answerOffset How many columns right of the prompts the answers go (negative: left).
 * @param maxRequestBytes At most this many bytes in one request: keep it under the server's
 *   BODY_LIMIT (1 MiB unless its operator changed it).
 */
async function main(
  workbook: ExcelScript.Workbook,
  serverUrl: string,
  token: string,
  instruction: string = "",
  answerOffset: number = 1,
  maxRequestBytes: number = 1000000,
): Promise<FillSummary> {
  const endpoint = `${serverUrl.trim().replace(/\/+$/, "")}/api/v1/batch`;
  if (!/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new Error(
      `serverUrl must be your OfficeLLM server, such as https://officellm.example.com; got "${serverUrl}".`,
    );
  }
  const secret = token.trim();
  if (secret === "") throw new Error("token is empty: paste your OfficeLLM token (ollm_…).");
  if (!Number.isInteger(answerOffset) || answerOffset === 0) {
    throw new Error(`answerOffset must be a whole number other than 0; got ${answerOffset}.`);
  }
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 1) {
    throw new Error(
      `maxRequestBytes must be a whole number of at least 1; got ${maxRequestBytes}.`,
    );
  }

  const selection = workbook.getSelectedRange();
  const sheet = selection.getWorksheet();
  const top = selection.getRowIndex();
  const promptColumn = selection.getColumnIndex();
  const answerColumn = promptColumn + answerOffset;
  if (answerColumn < 0 || answerColumn > 16383) {
    throw new Error(`answerOffset ${answerOffset} puts the answers outside the sheet.`);
  }
  // Down to the last used row only: a whole selected column reads no more than the sheet holds.
  const used = sheet.getUsedRange(true);
  const end = Math.min(
    top + selection.getRowCount(),
    used ? used.getRowIndex() + used.getRowCount() : 0,
  );

  const summary: FillSummary = { answered: 0, failed: 0, skipped: 0 };
  const requests: PromptItem[][] = [];
  if (end > top) {
    const prompts = sheet.getRangeByIndexes(top, promptColumn, end - top, 1).getTexts();
    const answers = sheet.getRangeByIndexes(top, answerColumn, end - top, 1).getValues();
    const lead = instruction.trim() === "" ? "" : `${instruction.trim()}\n\n`;
    let items: PromptItem[] = [];
    // `{"items":[` and `]}` make 12 bytes; each item counts a comma, one more than n items have.
    let bytes = 11;
    for (let index = 0; index < prompts.length; index++) {
      const text = (prompts[index]?.[0] ?? "").trim();
      if (text === "") continue;
      if (String(answers[index]?.[0] ?? "").trim() !== "") {
        summary.skipped++;
        continue;
      }
      const item: PromptItem = { id: String(top + index + 1), prompt: lead + text };
      const size = utf8Length(JSON.stringify(item)) + 1;
      if (items.length === 100 || (items.length > 0 && bytes + size > maxRequestBytes)) {
        requests.push(items);
        items = [];
        bytes = 11;
      }
      items.push(item);
      bytes += size;
    }
    if (items.length > 0) requests.push(items);
  }

  let firstFailure = "";
  for (const items of requests) {
    const results = await askOfficeLlm(endpoint, secret, items, summary);
    // Read again just before writing: a cell filled meanwhile is kept.
    const first = Number(items[0]?.id) - 1;
    const span = Number(items[items.length - 1]?.id) - first;
    const answers = sheet.getRangeByIndexes(first, answerColumn, span, 1).getValues();
    for (const item of items) {
      const row = Number(item.id) - 1;
      const result = results.find((candidate) => candidate.id === item.id);
      if (!result || !result.ok || typeof result.text !== "string") {
        summary.failed++;
        const reason = result?.error
          ? `${result.error.code}: ${result.error.message}`
          : "no answer";
        if (firstFailure === "") {
          firstFailure = ` First failure, row ${item.id}: ${reason.replace(/\.$/, "")}.`;
        }
      } else if (String(answers[row - first]?.[0] ?? "").trim() !== "") {
        summary.skipped++;
      } else {
        sheet.getCell(row, answerColumn).setValue(cellText(result.text));
        summary.answered++;
      }
    }
  }
  console.log(
    `OfficeLLM: ${summary.answered} answered, ${summary.failed} failed, ` +
      `${summary.skipped} skipped (already answered).${firstFailure}`,
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
}

/** One result of OfficeLLM's batch response (the fields this script reads). */
interface BatchResult {
  id: string;
  ok: boolean;
  text?: string;
  error?: { code: string; message: string };
}

/** Sends one batch; an answer that is not a batch response stops the script with its reason. */
async function askOfficeLlm(
  endpoint: string,
  token: string,
  items: PromptItem[],
  done: FillSummary,
): Promise<BatchResult[]> {
  const sofar = done.answered > 0 ? ` (${done.answered} answers were written before this.)` : "";
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ items }),
    });
  } catch (error: unknown) {
    // Office Scripts' TypeScript 4.0 has no `new Error(message, { cause })`.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`Could not reach OfficeLLM at ${endpoint}: ${String(error)}.${sofar}`);
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page, say): the status speaks for it.
  }
  const reply = (typeof body === "object" && body !== null ? body : {}) as BatchReply;
  if (!response.ok) {
    const code = reply.error?.code ?? response.statusText;
    const message = (reply.error?.message ?? "the server gave no reason").replace(/\.$/, "");
    const request = reply.error?.requestId ? ` (request id ${reply.error.requestId})` : "";
    throw new Error(
      `OfficeLLM refused the request (${response.status} ${code}): ${message}${request}.${sofar}`,
    );
  }
  if (!Array.isArray(reply.results)) {
    throw new Error(`OfficeLLM's answer (${response.status}) is not a batch response.${sofar}`);
  }
  return reply.results;
}

/** The body of a batch response, or of OfficeLLM's error envelope. */
interface BatchReply {
  results?: BatchResult[];
  error?: { code?: string; message?: string; requestId?: string };
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

/** JSON's length in UTF-8 (each %XX of its URI encoding is a byte; JSON has no lone surrogate). */
function utf8Length(json: string): number {
  return encodeURIComponent(json).replace(/%[0-9A-F]{2}/g, "x").length;
}
