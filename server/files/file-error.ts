/**
 * Why a file cannot be used, as the 4xx the uploader gets. Plain data (no ApiError) so that it
 * crosses from the extraction worker to the request unchanged.
 */
export interface FileProblem {
  code: "invalid_request" | "payload_too_large" | "unsupported_media_type";
  message: string;
}

/** Thrown by extraction for a file it refuses; anything else thrown means the file is malformed. */
export class FileRefused extends Error {
  readonly problem: FileProblem;
  constructor(code: FileProblem["code"], message: string) {
    super(message);
    this.name = "FileRefused";
    this.problem = { code, message };
  }
}
