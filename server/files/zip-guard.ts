import { inflateRawSync } from "node:zlib";
import { FileRefused } from "./file-error.ts";

/** Entries an XLSX or DOCX may hold; real ones hold tens. */
const MAX_ENTRIES = 10_000;
const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/**
 * Checks a zip (XLSX, DOCX) before any library opens it: at most MAX_ENTRIES entries, none
 * encrypted, and every entry, really inflated here with zlib's output cap, within
 * `unzippedBytes` all together. The sizes the zip declares are checked first (cheap), then
 * the data itself, since a crafted zip may declare small sizes and inflate to gigabytes; a
 * library reading it would only find out by running out of memory.
 */
export function checkZip(zip: Buffer, what: string, unzippedBytes: number): void {
  const malformed = () => new FileRefused("invalid_request", `The file is not a valid ${what}`);
  const tooLarge = () =>
    new FileRefused(
      "payload_too_large",
      `The ${what} unpacks to more than ${unzippedBytes} bytes (FILE_MAX_UNZIPPED_BYTES)`,
    );
  // The end-of-directory record is within the last 22 + 65,535 (its comment) bytes.
  let end = -1;
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 65_535); at--) {
    if (zip.readUInt32LE(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw malformed();
  const entries = zip.readUInt16LE(end + 10);
  if (entries > MAX_ENTRIES) throw tooLarge();
  let at = zip.readUInt32LE(end + 16);
  let declared = 0;
  const located: { offset: number; compressed: number; method: number }[] = [];
  for (let i = 0; i < entries; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== DIRECTORY_ENTRY) throw malformed();
    const flags = zip.readUInt16LE(at + 8);
    if (flags & 1) {
      throw new FileRefused(
        "invalid_request",
        `The ${what} is encrypted; send it without a password`,
      );
    }
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    declared += zip.readUInt32LE(at + 24);
    // 0xFFFFFFFF means ZIP64 sizes, which no file within the limits needs.
    if (declared > unzippedBytes || compressed === 0xffffffff) throw tooLarge();
    located.push({ offset: zip.readUInt32LE(at + 42), compressed, method });
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  let inflated = 0;
  for (const entry of located) {
    const header = entry.offset;
    if (header + 30 > zip.length || zip.readUInt32LE(header) !== LOCAL_HEADER) throw malformed();
    const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
    const data = zip.subarray(start, start + entry.compressed);
    if (entry.method === 0) inflated += data.length;
    else if (entry.method === 8) {
      try {
        inflated += inflateRawSync(data, { maxOutputLength: unzippedBytes - inflated + 1 }).length;
      } catch (error) {
        if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge();
        throw malformed();
      }
    } else throw malformed();
    if (inflated > unzippedBytes) throw tooLarge();
  }
}
