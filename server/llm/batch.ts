import { setImmediate as nextTurn } from "node:timers/promises";
import { ApiError } from "../errors.ts";
import type { BatchItem } from "./request/completion-request.ts";
import type { CallContext, CompletionOutcome, CompletionService } from "./completion-service.ts";
import type { PreparedCompletion } from "./request/prepare.ts";

export type BatchResult =
  | ({ id: string; ok: true } & Omit<CompletionOutcome, "id" | "retries" | "upstreamMs"> & {
        completionId: string;
      })
  | { id: string; ok: false; error: { code: string; message: string } };

/** An item that is not a completion request: answered alone with its 400. */
export interface InvalidBatchItem {
  id: string | undefined;
  invalid: ApiError;
}

function failure(id: string, error: unknown): BatchResult {
  const apiError =
    error instanceof ApiError ? error : new ApiError("internal", "This item failed on our side");
  return { id, ok: false, error: { code: apiError.code, message: apiError.message } };
}

function success(id: string, outcome: CompletionOutcome): BatchResult {
  const { id: completionId, retries: _retries, upstreamMs: _upstreamMs, ...rest } = outcome;
  return { id, ok: true, completionId, ...rest };
}

/**
 * Runs a batch: items in order, each succeeding or failing alone. Identical items are asked
 * once; the copies get the same answer or failure, each recorded in the ledger at no cost.
 */
export async function runBatch(
  service: CompletionService,
  items: (BatchItem | InvalidBatchItem)[],
  context: CallContext,
): Promise<BatchResult[]> {
  // One item at a time, giving the event loop a turn between two: preparing an item may compile
  // its JSON Schema, and a batch of hundreds must not hold every other caller up meanwhile.
  const prepared: (PreparedCompletion | ApiError)[] = [];
  for (const item of items) {
    if (prepared.length > 0) await nextTurn();
    prepared.push(await prepare(service, item, context));
  }

  const firstRun = new Map<string, Promise<CompletionOutcome>>();
  return Promise.all(
    items.map(async (item, index): Promise<BatchResult> => {
      const id = item.id ?? String(index);
      const call = prepared[index]!;
      if (call instanceof ApiError) return failure(id, call);
      const identity = identityOf(call);
      const earlier = firstRun.get(identity);
      try {
        if (!earlier) {
          const run = service.run(call, context);
          firstRun.set(identity, run);
          return success(id, await run);
        }
        return success(id, await service.replay(call, context, earlier));
      } catch (error) {
        return failure(id, error);
      }
    }),
  );
}

async function prepare(
  service: CompletionService,
  item: BatchItem | InvalidBatchItem,
  context: CallContext,
): Promise<PreparedCompletion | ApiError> {
  if ("invalid" in item) return item.invalid;
  const { id: _id, ...request } = item;
  try {
    return await service.prepare(request, context.caller.tokenId);
  } catch (error) {
    return error instanceof ApiError
      ? error
      : new ApiError("internal", "This item failed on our side");
  }
}

/** Items are the same when everything that shapes the answer is the same. */
function identityOf(call: PreparedCompletion): string {
  return `${call.key}:${call.fallbacks.map((m) => m.id).join(",")}`;
}
