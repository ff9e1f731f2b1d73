import { parentPort, workerData } from "node:worker_threads";
import { extractText } from "./extract.ts";
import { FileRefused } from "./file-error.ts";
import type { ExtractJob, ExtractOutcome } from "./extractor.ts";

/** One extraction, in its own thread: the answer, or why the file is refused. */
const job = workerData as ExtractJob;
let outcome: ExtractOutcome;
try {
  outcome = { ok: true, ...(await extractText(job.kind, Buffer.from(job.bytes), job.limits)) };
} catch (error) {
  outcome = {
    ok: false,
    problem:
      error instanceof FileRefused
        ? error.problem
        : {
            code: "invalid_request",
            message: `The file is not a valid ${job.kind.toUpperCase()} file`,
          },
  };
}
parentPort!.postMessage(outcome);
