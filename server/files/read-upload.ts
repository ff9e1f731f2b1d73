import busboy from "busboy";
import type { Request } from "express";
import { ApiError } from "../errors.ts";

/** One uploaded file: the name it came with, and its bytes. */
export interface Upload {
  name: string;
  bytes: Buffer;
}

/** Room for the multipart framing around the file: boundaries and part headers. */
const FRAMING_BYTES = 16 * 1024;

/**
 * Reads the one file of a multipart/form-data body, in the form field `field`, counting its size
 * while it streams: more than `maxBytes` is answered 413 as soon as it is passed, without reading
 * the rest; a body that takes longer than `timeoutMs` to arrive is answered 408.
 */
export function readUpload(
  req: Request,
  options: { field: string; maxBytes: number; timeoutMs: number },
): Promise<Upload> {
  const { field, maxBytes, timeoutMs } = options;
  const tooLarge = () =>
    new ApiError(
      "payload_too_large",
      `The file is larger than the limit of ${maxBytes} bytes (FILE_MAX_BYTES)`,
    );
  const malformed = () => new ApiError("invalid_request", "The multipart body is malformed");
  if (!req.is("multipart/form-data")) {
    return Promise.reject(
      new ApiError(
        "unsupported_media_type",
        `Send the file as multipart/form-data, in the form field '${field}'`,
      ),
    );
  }
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    return Promise.reject(
      new ApiError("unsupported_media_type", "Send the upload without a Content-Encoding"),
    );
  }
  if (Number(req.headers["content-length"]) > maxBytes + FRAMING_BYTES) {
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: Upload | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.unpipe(parser);
      if (outcome instanceof Error) {
        // Stop reading the rest; the answer closes the connection.
        req.pause();
        reject(outcome);
      } else resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish(new ApiError("request_timeout", `The body did not arrive within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 11 },
      });
    } catch {
      clearTimeout(timer);
      reject(new ApiError("invalid_request", "The multipart body has no valid boundary"));
      return;
    }
    let upload: Upload | undefined;
    parser.on("file", (name, stream, info) => {
      if (name !== field || upload) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => finish(tooLarge()));
      // A body cut short fails the file's stream too: unhandled, it would end the process.
      stream.on("error", () => finish(malformed()));
      stream.on("end", () => {
        upload = { name: info.filename || "upload", bytes: Buffer.concat(chunks) };
      });
    });
    parser.on("filesLimit", () =>
      finish(new ApiError("invalid_request", "Send one file at a time")),
    );
    parser.on("partsLimit", () =>
      finish(new ApiError("invalid_request", "The form has too many fields")),
    );
    parser.on("error", () => finish(malformed()));
    parser.on("close", () =>
      finish(
        upload ?? new ApiError("invalid_request", `The form has no file in the field '${field}'`),
      ),
    );
    req.on("aborted", () => finish(new ApiError("invalid_request", "The body could not be read")));
    req.on("error", () => finish(new ApiError("invalid_request", "The body could not be read")));
    req.pipe(parser);
  });
}
