import type ExcelJS from "exceljs";
import type { FileLimits } from "../config.ts";
import { FileRefused } from "./file-error.ts";
import type { FileKind } from "./file-kinds.ts";
import { checkZip } from "./zip-guard.ts";

/** The text read from a file, and a word on what was read ("3 pages"). */
export interface Extracted {
  text: string;
  detail: string;
}

type Limits = Omit<FileLimits, "bytes" | "extractTimeoutMs">;

const tooMuchText = (limits: Limits) =>
  new FileRefused(
    "payload_too_large",
    `The file holds more than ${limits.textChars} characters of text (FILE_MAX_TEXT_CHARS)`,
  );

/** Keeps text within the limit: a file with more is refused rather than silently cut. */
function bounded(text: string, limits: Limits): string {
  if (text.length > limits.textChars) throw tooMuchText(limits);
  return text;
}

function utf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FileRefused("invalid_request", `The ${what} is not UTF-8 text`);
  }
}

const encryptedOffice = (bytes: Buffer) =>
  // A password-protected XLSX or DOCX is an OLE compound file wrapping the encrypted package.
  bytes.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));

function checkOfficeZip(bytes: Buffer, what: string, limits: Limits): void {
  if (encryptedOffice(bytes)) {
    throw new FileRefused(
      "invalid_request",
      `The ${what} is encrypted; send it without a password`,
    );
  }
  checkZip(bytes, what, limits.unzippedBytes);
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "object") return String(value);
  if ("richText" in value) return value.richText.map((run) => run.text).join("");
  if ("result" in value) return cellText(value.result as ExcelJS.CellValue);
  if ("text" in value) return String(value.text);
  if ("error" in value) return String(value.error);
  return "";
}

/** A CSV cell as written: quoted when it holds a separator, a quote or a line break. */
const csvCell = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

async function xlsx(bytes: Buffer, limits: Limits): Promise<Extracted> {
  checkOfficeZip(bytes, "XLSX workbook", limits);
  const { default: Excel } = await import("exceljs");
  const workbook = new Excel.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  if (workbook.worksheets.length > limits.sheets) {
    throw new FileRefused(
      "payload_too_large",
      `The workbook has more than ${limits.sheets} sheets (FILE_MAX_SHEETS)`,
    );
  }
  let cells = 0;
  let chars = 0;
  const parts: string[] = [];
  for (const sheet of workbook.worksheets) {
    const lines: string[] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      const values: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell) => {
        cells++;
        values.push(csvCell(cellText(cell.value)));
      });
      if (cells > limits.cells) {
        throw new FileRefused(
          "payload_too_large",
          `The workbook has more than ${limits.cells} cells (FILE_MAX_CELLS)`,
        );
      }
      const line = values.join(",");
      chars += line.length + 1;
      if (chars > limits.textChars) throw tooMuchText(limits);
      lines.push(line);
    });
    parts.push(`## Sheet: ${sheet.name}\n${lines.join("\n")}`);
  }
  const sheets = workbook.worksheets.length;
  return {
    text: bounded(parts.join("\n\n"), limits),
    detail: `${sheets} sheet${sheets === 1 ? "" : "s"}, ${cells} cells`,
  };
}

async function docx(bytes: Buffer, limits: Limits): Promise<Extracted> {
  checkOfficeZip(bytes, "DOCX document", limits);
  const { default: mammoth } = await import("mammoth");
  const result = await mammoth.extractRawText({ buffer: bytes });
  const text = bounded(result.value.replace(/\n{3,}/g, "\n\n").trim(), limits);
  return { text, detail: `${text.length} characters` };
}

/**
 * The most pages the file's page tree nodes claim (`/Type /Pages … /Count n`), where they are
 * written in plain text; read before pdf.js opens the file. Each node's dictionary is looked for
 * within 4 kB of its `/Type /Pages`, so the scan stays linear in the file's size.
 */
function claimedPages(bytes: Buffer): number {
  const text = bytes.toString("latin1");
  let most = 0;
  for (const match of text.matchAll(/\/Type\s*\/Pages(?![A-Za-z])/g)) {
    const at = match.index;
    const start = Math.max(text.lastIndexOf("obj", at), at - 4096);
    const close = text.indexOf("endobj", at);
    const end = close < 0 ? at + 4096 : Math.min(close, at + 4096);
    const count = /\/Count\s+(\d{1,15})/.exec(text.slice(start, end));
    if (count) most = Math.max(most, Number(count[1]));
  }
  return most;
}

const tooManyPages = (limits: Limits) =>
  new FileRefused(
    "payload_too_large",
    `The PDF has more than ${limits.pages} pages (FILE_MAX_PAGES)`,
  );

async function pdf(bytes: Buffer, limits: Limits): Promise<Extracted> {
  if (claimedPages(bytes) > limits.pages) throw tooManyPages(limits);
  const { getDocumentProxy } = await import("unpdf");
  let document: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    document = await getDocumentProxy(new Uint8Array(bytes));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "PasswordException") {
      throw new FileRefused("invalid_request", "The PDF is encrypted; send it without a password");
    }
    throw new FileRefused("invalid_request", "The file is not a valid PDF");
  }
  // pdf.js's count (a claim it could not confirm is replaced by the pages it finds), again
  // before any page is read: the page tree may be in a compressed object stream.
  if (document.numPages > limits.pages) throw tooManyPages(limits);
  const pages: string[] = [];
  let chars = 0;
  for (let number = 1; number <= document.numPages; number++) {
    const page = await document.getPage(number);
    const content = await page.getTextContent();
    const text = content.items
      .map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : ""))
      .join("");
    chars += text.length;
    if (chars > limits.textChars) throw tooMuchText(limits);
    pages.push(text.trim());
  }
  const count = document.numPages;
  // The worker that runs this ends with it: pdf.js's document needs no closing.
  return { text: pages.join("\n\n"), detail: `${count} page${count === 1 ? "" : "s"}` };
}

function plain(bytes: Buffer, what: string, limits: Limits): Extracted {
  const text = bounded(utf8(bytes, what), limits);
  const lines = text.length === 0 ? 0 : text.split("\n").length;
  return { text, detail: `${lines} line${lines === 1 ? "" : "s"}` };
}

/**
 * Reads a file's text, within the limits: each is checked as early as the format allows (a
 * zip's sizes before it is opened, a PDF's page count before any page is read). Throws
 * FileRefused for a file it will not read; any other failure means the file is malformed.
 */
/** Text kinds: read as UTF-8 at once, with no parser and no worker. */
export const isPlainText = (kind: FileKind) => kind === "csv" || kind === "txt" || kind === "md";

export async function extractText(
  kind: FileKind,
  bytes: Buffer,
  limits: Limits,
): Promise<Extracted> {
  switch (kind) {
    case "xlsx":
      return xlsx(bytes, limits);
    case "docx":
      return docx(bytes, limits);
    case "pdf":
      return pdf(bytes, limits);
    case "csv":
      return plain(bytes, "CSV file", limits);
    case "txt":
      return plain(bytes, "text file", limits);
    case "md":
      return plain(bytes, "Markdown file", limits);
  }
}
