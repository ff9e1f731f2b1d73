import { setImmediate as nextTurn } from "node:timers/promises";
import type { BatchItem, BatchItemResult } from "./request/completion-request.ts";
import type { CallContext, CompletionOutcome, CompletionService } from "./completion-service.ts";
import { toldFailure } from "./errors.ts";
import type { PreparedCompletion } from "./request/prepare.ts";

/** Why an item failed: an error code of the API and its message. */
export type ItemError = Extract<BatchItemResult, { ok: false }>["error"];

/** An item that is not a completion request: answered alone with what its check found. */
export interface InvalidBatchItem {
  id: string | undefined;
  invalid: ItemError;
}

/** What a failed item says: its own failure, or `internal` for a bug of ours. */
function itemError(error: unknown): ItemError {
  const failure = toldFailure(error);
  return failure
    ? { code: failure.code, message: failure.message }
    : { code: "internal", message: "This item failed on our side" };
}

function failure(id: string, error: ItemError): BatchItemResult {
  return { id, ok: false, error: { code: error.code, message: error.message } };
}

function success(id: string, outcome: CompletionOutcome): BatchItemResult {
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
): Promise<BatchItemResult[]> {
  // One item at a time, giving the event loop a turn between two: preparing an item may compile
  // its JSON Schema, and a batch of hundreds must not hold every other caller up meanwhile.
  const prepared: ({ call: PreparedCompletion } | { error: ItemError })[] = [];
  for (const item of items) {
    if (prepared.length > 0) await nextTurn();
    prepared.push(await prepare(service, item, context));
  }

  const firstRun = new Map<string, Promise<CompletionOutcome>>();
  return Promise.all(
    items.map(async (item, index): Promise<BatchItemResult> => {
      const id = item.id ?? String(index);
      const ready = prepared[index]!;
      if ("error" in ready) return failure(id, ready.error);
      const { call } = ready;
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
        return failure(id, itemError(error));
      }
    }),
  );
}

async function prepare(
  service: CompletionService,
  item: BatchItem | InvalidBatchItem,
  context: CallContext,
): Promise<{ call: PreparedCompletion } | { error: ItemError }> {
  if ("invalid" in item) return { error: item.invalid };
  const { id: _id, ...request } = item;
  try {
    return { call: await service.prepare(request, context.caller.tokenId) };
  } catch (error) {
    return { error: itemError(error) };
  }
}

/** Items are the same when everything that shapes the answer is the same. */
function identityOf(call: PreparedCompletion): string {
  const fallbacks = call.candidates.slice(1).map(({ model }) => model.id);
  return `${call.key}:${fallbacks.join(",")}`;
}
