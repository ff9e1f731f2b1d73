import type { Caller } from "../../auth/token-service.ts";
import { runItems, type InvalidBatchItem } from "../batch.ts";
import { cacheKey } from "../cache/response-cache.ts";
import type { CompletionService } from "../completion-service.ts";
import type { BatchItem } from "../request/completion-request.ts";
import type { Job, Jobs } from "./jobs.ts";

export interface JobRunner {
  completions: CompletionService;
  jobs: Jobs;
  /** The time each item's call has from its start, as a request has (REQUEST_TIMEOUT_MS). */
  itemTimeoutMs: number;
  /** A job's items under way at once (BATCH_MAX_IN_FLIGHT). */
  itemsInFlight: number;
}

/** A job's calls outlive the requests that follow it: only their own time limit ends them. */
const neverAborted = new AbortController().signal;

/**
 * Starts a batch as a job (or finds the job a retry with the same Idempotency-Key joins): each
 * item is run as in a batch (identical items asked once; cacheable answers kept in the response
 * cache as they come, so that a later batch of the same items reads them), with its own time
 * counted from its start, not the job's. Its items wait for their provider in the job (paced),
 * never in the provider's queue, whose wait is bounded for callers waiting on the line.
 */
export function submitJob(
  runner: JobRunner,
  request: {
    caller: Caller;
    items: (BatchItem | InvalidBatchItem)[];
    idempotencyKey: string | undefined;
  },
): { job: Job; joined: boolean } {
  const { caller, items, idempotencyKey } = request;
  return runner.jobs.submit(
    {
      tokenId: caller.tokenId,
      total: items.length,
      fingerprint: fingerprint(items),
      idempotencyKey,
    },
    async (job) => {
      await runItems(runner.completions, items, {
        caller,
        // At most BATCH_MAX_IN_FLIGHT, and no more than the provider takes (runItems's pacing).
        concurrency: runner.itemsInFlight,
        contextFor: (index) => ({
          caller,
          requestId: `${job.id}.${index}`,
          signal: neverAborted,
          deadline: performance.now() + runner.itemTimeoutMs,
        }),
        onResult: (index, result) => job.add(index, result),
        stop: job.stopSignal,
      });
    },
  );
}

/** What a job was asked: its items, an invalid one by what was wrong with it. */
function fingerprint(items: (BatchItem | InvalidBatchItem)[]): string {
  return cacheKey(
    items.map((item) =>
      "invalid" in item ? { id: item.id, invalid: item.invalid.message } : item,
    ),
  );
}
