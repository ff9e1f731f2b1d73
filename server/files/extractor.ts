import { Worker } from "node:worker_threads";
import type { FileLimits } from "../config.ts";
import { ApiError } from "../errors.ts";
import { extractText, isPlainText, type Extracted } from "./extract.ts";
import { FileRefused, type FileProblem } from "./file-error.ts";
import type { FileKind } from "./file-kinds.ts";

export interface ExtractJob {
  kind: FileKind;
  bytes: Uint8Array;
  limits: Omit<FileLimits, "bytes" | "extractTimeoutMs">;
}

export type ExtractOutcome = ({ ok: true } & Extracted) | { ok: false; problem: FileProblem };

/** Heap one extraction may use; a file that needs more is refused, not the server starved. */
const WORKER_HEAP_MB = 256;
/** Extractions at once on this instance; more wait their turn (parsing is CPU-bound). */
const CONCURRENT = 2;

const workerUrl = new URL("./extract-worker.ts", import.meta.url);

/**
 * Reads uploaded documents' text (XLSX, DOCX, PDF) off the event loop: each in a worker thread with its own heap cap
 * and a deadline (FILE_EXTRACT_TIMEOUT_MS), at most two at a time. A worker that runs out of
 * memory or time is stopped and the file refused with 413; the server is not affected.
 */
export class FileExtractor {
  readonly #limits: FileLimits;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limits: FileLimits) {
    this.#limits = limits;
  }

  async extract(kind: FileKind, bytes: Buffer): Promise<Extracted> {
    // Decoding UTF-8 costs little and is bounded by FILE_MAX_BYTES: no thread for it.
    if (isPlainText(kind)) {
      return extractText(kind, bytes, this.#limits).catch((error: unknown) => {
        if (error instanceof FileRefused) throw new ApiError(error.problem.code, error.message);
        throw error;
      });
    }
    await this.#turn();
    try {
      return await this.#run(kind, bytes);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  async #turn(): Promise<void> {
    if (this.#running >= CONCURRENT) await new Promise<void>((go) => this.#waiting.push(go));
    this.#running++;
  }

  #run(kind: FileKind, bytes: Buffer): Promise<Extracted> {
    const { extractTimeoutMs, unzippedBytes, pages, cells, sheets, textChars } = this.#limits;
    const tooHeavy = new ApiError(
      "payload_too_large",
      `The file could not be read within ${extractTimeoutMs} ms and ${WORKER_HEAP_MB} MB of memory; send a smaller one`,
    );
    const limits = { unzippedBytes, pages, cells, sheets, textChars };
    const job: ExtractJob = { kind, bytes: new Uint8Array(bytes), limits };
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, {
        workerData: job,
        transferList: [job.bytes.buffer as ArrayBuffer],
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
        stdout: true,
        stderr: true,
      });
      let settled = false;
      const settle = (outcome: ExtractOutcome | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        if (outcome instanceof Error) reject(outcome);
        else if (outcome.ok) resolve({ text: outcome.text, detail: outcome.detail });
        else reject(new ApiError(outcome.problem.code, outcome.problem.message));
      };
      const timer = setTimeout(() => settle(tooHeavy), extractTimeoutMs);
      worker.on("message", (outcome: ExtractOutcome) => settle(outcome));
      // Out of memory: the file is what made it fail. Anything else is a fault of ours.
      worker.on("error", (error: Error & { code?: string }) =>
        settle(error.code === "ERR_WORKER_OUT_OF_MEMORY" ? tooHeavy : error),
      );
      worker.on("exit", () => settle(tooHeavy));
    });
  }
}
